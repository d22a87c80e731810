using System.Diagnostics;
using PeterRec.Orchestration;
using PeterRec.DevBroker;

namespace PeterRec.Chaos;

/// <summary>
/// A redis-server that can be killed and restarted on the same port and data dir: AOF with fsync on every write, so
/// a SIGKILL loses nothing that Redis acknowledged (what the roles count as durable).
/// </summary>
public sealed class ChaosRedis : IDisposable
{
    private readonly string _exe;
    private Process? _process;

    public ChaosRedis(string dir)
    {
        _exe = RedisLauncher.FindOrInstall(_ => { });
        Dir = dir;
        Directory.CreateDirectory(dir);
        Port = LoopbackPort.Free();
        Start();
    }

    public string Dir { get; }

    public int Port { get; }

    public int? Pid => _process is { HasExited: false } p ? p.Id : null;

    public string Configuration => $"127.0.0.1:{Port}";

    public void Start()
    {
        var psi = new ProcessStartInfo(_exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                     "--dir", Dir, "--logfile", Path.Combine(Dir, "redis.log") })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_exe}");
        LoopbackPort.WaitUntilAccepting(_process, Port, TimeSpan.FromSeconds(20), $"redis-server (log {Path.Combine(Dir, "redis.log")})");
    }

    /// <summary>SIGKILL: no shutdown save, the AOF is all that survives.</summary>
    public void Kill()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = null;
    }

    public void Dispose()
    {
        if (_process is { HasExited: false } p) { Posix.Terminate(p.Id); if (!p.WaitForExit(5000)) p.Kill(); }
        _process?.Dispose();
    }
}
