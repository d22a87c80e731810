using System.Diagnostics;

namespace PeterRec.Model.Tests.Cli;

/// <summary>Runs the <c>peterrec</c> binary of this build as a child process, as a user would, and captures its output.</summary>
internal static class PeterRecProcess
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "peterrec.dll");
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"peterrec {string.Join(' ', args)} ran over 3 minutes");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A pretrain CSV of <paramref name="users"/> short sequences over 30 items.</summary>
    public static string PretrainCsv(string path, int users = 60, int seed = 1)
    {
        var rng = new Random(seed);
        File.WriteAllLines(path, Enumerable.Range(0, users).Select(_ => string.Join(",", Enumerable.Range(0, rng.Next(4, 9)).Select(_ => $"i{rng.Next(30)}"))));
        return path;
    }
}
