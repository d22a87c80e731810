using System.Diagnostics;
using PeterRec.DevBroker;

namespace PeterRec.Orchestration;

/// <summary>
/// A private redis-server for one run: found on PATH (installed from Debian when missing and running as root), started
/// on a free loopback port with its pidfile, log and data under the run's work dir, stopped by that pid.
/// Keyspace notifications for string writes are on, so the run can observe every recommendation write. Persistence as
/// the runbook recommends: an append-only file fsync'd every second (a restart keeps the windows; without it Ingest
/// would have to rebuild them from the clicks topic).
/// </summary>
public sealed class RedisLauncher : IDisposable
{
    private readonly Process _process;

    private RedisLauncher(Process process, int port, string dir)
    {
        _process = process;
        Port = port;
        Dir = dir;
    }

    public int Port { get; }

    public string Dir { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <param name="fresh">Start empty: an earlier run's data is deleted (it belongs to an earlier broker's offsets).</param>
    public static RedisLauncher Start(string dir, Action<string> log, bool fresh = false)
    {
        var exe = FindOrInstall(log);
        Directory.CreateDirectory(dir);
        var pidFile = Path.Combine(dir, "redis.pid");
        StopStale(pidFile, log);
        if (fresh)
        {
            if (Directory.Exists(Path.Combine(dir, "appendonlydir"))) Directory.Delete(Path.Combine(dir, "appendonlydir"), recursive: true);
            File.Delete(Path.Combine(dir, "dump.rdb"));
        }
        var port = LoopbackPort.Free();
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
                 {
                     "--port", port.ToString(), "--bind", "127.0.0.1", "--daemonize", "no", "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                     "--dir", dir, "--pidfile", pidFile, "--logfile", Path.Combine(dir, "redis.log"), "--notify-keyspace-events", "K$",
                 })
            psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        var server = new RedisLauncher(process, port, dir);
        try
        {
            LoopbackPort.WaitUntilAccepting(process, port, TimeSpan.FromSeconds(15), $"redis-server (log {Path.Combine(dir, "redis.log")})");
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>PATH first, then Debian's location; installs the package only as root (never sudo behind the user's back).</summary>
    public static string FindOrInstall(Action<string> log)
    {
        if (Find() is { } found) return found;
        if (!IsRoot())
            throw new InvalidOperationException("redis-server is not installed; install it (sudo apt-get install -y redis-server) or pass --redis HOST:PORT");
        log("redis-server missing: apt-get install -y redis-server");
        Run("apt-get", "update", "-q");
        Run("apt-get", "install", "-y", "-q", "redis-server");
        return Find() ?? throw new InvalidOperationException("apt-get installed redis-server but it is not on PATH");
    }

    private static string? Find()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin").Append("/usr/sbin");
        return dirs.Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);
    }

    private static bool IsRoot() => File.Exists("/proc/self/status")
        && File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal)) is { } uid
        && uid.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "0";

    private static void Run(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {exe}");
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{exe} {string.Join(' ', args)} failed with exit code {p.ExitCode}");
    }

    /// <summary>A previous run killed hard may have left its server behind; only a pid that is still a redis-server is stopped.</summary>
    private static void StopStale(string pidFile, Action<string> log)
    {
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid)) return;
        var comm = $"/proc/{pid}/comm";
        if (File.Exists(comm) && File.ReadAllText(comm).StartsWith("redis-server", StringComparison.Ordinal) && Posix.Terminate(pid))
            log($"stopped a stale redis-server (pid {pid}) from an earlier run");
        File.Delete(pidFile);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Posix.Terminate(_process.Id);
                if (!_process.WaitForExit(5000)) _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
