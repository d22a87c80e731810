using System.Diagnostics;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>What an outside tool printed and how it exited.</summary>
internal sealed record CliResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public CliResult EnsureSuccess() =>
        ExitCode == 0 ? this : throw new InvalidOperationException($"{Command} exited {ExitCode}:\n{Stderr}\n{Stdout}");
}

/// <summary>Runs outside tools (helm, kubectl, promtool, npm, git) with their arguments passed verbatim, never through a shell.</summary>
internal static class Cli
{
    /// <summary>
    /// Helm and kubectl read and write per-user state (repositories, caches, kubeconfig). Tests give them a private,
    /// empty home so that nothing on the machine (a real cluster's kubeconfig above all) is read or changed.
    /// </summary>
    private static readonly Lazy<string> PrivateHome = new(() =>
    {
        var home = Directory.CreateTempSubdirectory("peterrec-deploy-tests-home-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(home, recursive: true); } catch (IOException) { } };
        return home;
    });

    public static CliResult Run(string exe, IEnumerable<string> args, string? stdin = null, string? workDir = null,
        TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            WorkingDirectory = workDir ?? Repo.Root,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var home = PrivateHome.Value;
        psi.Environment["KUBECONFIG"] = Path.Combine(home, "kubeconfig");
        psi.Environment["HELM_CONFIG_HOME"] = Path.Combine(home, "helm-config");
        psi.Environment["HELM_CACHE_HOME"] = Path.Combine(home, "helm-cache");
        psi.Environment["HELM_DATA_HOME"] = Path.Combine(home, "helm-data");
        var command = $"{Path.GetFileName(exe)} {string.Join(' ', args)}";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish in {timeout ?? TimeSpan.FromMinutes(3)}");
        }
        return new CliResult(command, p.ExitCode, stdout.Result, stderr.Result);
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
