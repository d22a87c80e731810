using PeterRec.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>
/// <c>helm install</c> as a user runs it, from what a clone of the repository holds: no <c>helm dependency build</c>,
/// no network. A dry run (<c>--dry-run=client</c>) against <see cref="KubeApiDiscovery"/>, as helm install needs a
/// server to ask for its version and API groups even then.
/// </summary>
public sealed class InstallTests(ITestOutputHelper output)
{
    [Fact]
    public void Chart_declares_no_dependencies_to_build()
    {
        var chartYaml = Yaml.LoadFile(Repo.ChartFile("Chart.yaml"))!;
        Assert.Null(chartYaml["dependencies"]);
        Assert.False(File.Exists(Repo.ChartFile("Chart.lock")), "Chart.lock without dependencies");
        Assert.False(File.Exists(Repo.ChartFile("requirements.yaml")), "requirements.yaml (Helm 2 dependencies)");
    }

    [Fact]
    public void Installs_from_a_clean_copy_of_the_repository()
    {
        var chart = CleanCopy();
        using var cleanup = new TempDir(Path.GetDirectoryName(chart)!);
        using var api = new KubeApiDiscovery();
        var result = Install(api, chart, "-f", Path.Combine(chart, "ci", "minimal-values.yaml")).EnsureSuccess();
        Assert.Contains("STATUS: pending-install", result.Stdout, StringComparison.Ordinal);
        var manifest = result.Stdout[result.Stdout.IndexOf("MANIFEST:", StringComparison.Ordinal)..result.Stdout.IndexOf("NOTES:", StringComparison.Ordinal)];
        var objects = Yaml.Documents(manifest["MANIFEST:".Length..]).OfType<System.Text.Json.Nodes.JsonObject>().ToList();
        Assert.Contains(objects, o => Rendered.Kind(o) == "Deployment");
        output.WriteLine($"helm install --dry-run=client from {chart}: {objects.Count} objects ({Rendered.KindCounts(objects)})");
    }

    [Fact]
    public void Install_refuses_a_cluster_older_than_the_charts_kube_version()
    {
        using var api = new KubeApiDiscovery("v1.24.17");
        var result = Install(api, Repo.Chart, "-f", Repo.ChartFile("ci", "minimal-values.yaml"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.24.17", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Install_without_kafka_or_redis_says_what_is_missing()
    {
        using var api = new KubeApiDiscovery();
        var noKafka = Install(api, Repo.Chart, "--set", "config.Redis.Configuration=redis:6379");
        Assert.Contains("config.Kafka.BootstrapServers is required", noKafka.Stderr, StringComparison.Ordinal);
        var noRedis = Install(api, Repo.Chart, "--set", "config.Kafka.BootstrapServers=kafka:9092");
        Assert.Contains("config.Redis.Configuration is required", noRedis.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Notes_name_the_roles_and_warn_about_configurations_that_cannot_work()
    {
        using var api = new KubeApiDiscovery();
        var notes = Notes(Install(api, Repo.Chart, "-f", Repo.ChartFile("ci", "gpu-trainers-values.yaml"),
            "--set", "serving.config.Tasks={rec,cls,ab,other}", "--set", "trainer.persistence.enabled=false").EnsureSuccess());
        output.WriteLine(notes);
        Assert.Contains("Kafka: kafka.kafka.svc:9092 (Plaintext)", notes, StringComparison.Ordinal);
        Assert.Contains("deploy/pr-peterrec-ingest", notes, StringComparison.Ordinal);
        Assert.Matches(@"deploy/pr-peterrec-trainer-rec\s+task rec, on 2 GPU\(s\)", notes);
        Assert.Matches(@"deploy/pr-peterrec-trainer-ab\s+task ab\n", notes);
        Assert.Contains("kubectl -n recs port-forward deploy/pr-peterrec-serving 8080:8080", notes, StringComparison.Ordinal);
        Assert.Contains("WARNING: serving.config.Tasks lists other, which no trainer of this release trains", notes, StringComparison.Ordinal);
        Assert.DoesNotContain("lists rec,", notes, StringComparison.Ordinal);
        Assert.Contains("WARNING: trainer.persistence.enabled=false", notes, StringComparison.Ordinal);

        var quiet = Notes(Install(api, Repo.Chart, "-f", Repo.ChartFile("ci", "minimal-values.yaml")).EnsureSuccess());
        Assert.DoesNotContain("WARNING", quiet, StringComparison.Ordinal);
    }

    internal static CliResult Install(KubeApiDiscovery api, string chart, params string[] args) =>
        Tools.HelmRun(["install", "pr", chart, "-n", Rendered.Namespace, "--dry-run=client", "--disable-openapi-validation",
            "--kube-apiserver", api.Url, .. args]);

    private static string Notes(CliResult install) => install.Stdout[install.Stdout.IndexOf("NOTES:", StringComparison.Ordinal)..];

    /// <summary>
    /// The chart's files as a fresh clone has them: tracked and not-ignored files only (git ls-files), so a local
    /// charts/ directory or anything else .gitignore hides cannot make the install pass here and fail for users.
    /// </summary>
    private static string CleanCopy()
    {
        var relative = Path.GetRelativePath(Repo.Root, Repo.Chart);
        var files = Cli.Run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", relative]).EnsureSuccess()
            .Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(f => File.Exists(Path.Combine(Repo.Root, f))).ToList();
        Assert.Contains(files, f => f.EndsWith("Chart.yaml", StringComparison.Ordinal));
        var copy = Path.Combine(Directory.CreateTempSubdirectory("peterrec-clean-chart-").FullName, "peterrec");
        foreach (var file in files)
        {
            var target = Path.Combine(copy, Path.GetRelativePath(relative, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(Repo.Root, file), target);
        }
        return copy;
    }

    private sealed class TempDir(string path) : IDisposable
    {
        public void Dispose() => Directory.Delete(path, recursive: true);
    }
}
