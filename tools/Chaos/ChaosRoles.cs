using PeterRec.DevBroker;
using System.Diagnostics;
using PeterRec.Orchestration;

namespace PeterRec.Chaos;

/// <summary>
/// The roles of a chaos run as child processes: started, SIGKILLed, restarted, and brought back if they die on their
/// own (counted separately). A role is "back" when its /readyz (serving: /healthz; it is ready only with a patch) answers.
/// </summary>
public sealed class ChaosRoles(Func<string, string[]> argsFor, Func<string, Dictionary<string, string>> envFor, string logDir, Action<string> log) : IAsyncDisposable
{
    private readonly Dictionary<string, RoleProcess> _roles = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public int Kills { get; private set; }
    public int RestartsSurvived { get; private set; }
    public int UnplannedExits { get; private set; }
    /// <summary>Longest time from a kill until the restarted role answered again.</summary>
    public double MaxRecoverySeconds { get; private set; }

    public IReadOnlyDictionary<string, int> Pids { get { lock (_gate) return _roles.ToDictionary(r => r.Key, r => r.Value.Pid); } }

    /// <summary>True when the role's /readyz answers 200 now.</summary>
    public async Task<bool> IsReadyAsync(string role, CancellationToken ct)
    {
        int port;
        lock (_gate) { if (!_roles.TryGetValue(role, out var p)) return false; port = p.HttpPort!.Value; }
        using var scraper = new MetricsScraper(port);
        return await scraper.IsOkAsync("readyz", ct).ConfigureAwait(false);
    }

    public async Task StartAsync(string role, CancellationToken ct)
    {
        var process = RoleProcess.Start(role, argsFor(role), logDir, LoopbackPort.Free(), envFor(role));
        lock (_gate) _roles[role] = process;
        await WaitReadyAsync(process, TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
    }

    /// <summary>SIGKILL, then start again and wait until it answers.</summary>
    public async Task KillAndRestartAsync(string role, CancellationToken ct)
    {
        RoleProcess old;
        lock (_gate) { old = _roles[role]; _roles.Remove(role); }
        var pid = old.Pid;
        var clock = Stopwatch.StartNew();
        Posix.KillHard(pid);
        await old.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        old.Dispose();
        Kills++;
        log($"kill -9 {role} (pid {pid})");
        await StartAsync(role, ct).ConfigureAwait(false);
        RestartsSurvived++;
        MaxRecoverySeconds = Math.Max(MaxRecoverySeconds, clock.Elapsed.TotalSeconds);
        log($"{role} back after {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Restarts any role that exited without being killed here (e.g. a fatal error during an outage).</summary>
    public async Task SuperviseAsync(CancellationToken ct)
    {
        foreach (var (role, p) in Pids)
        {
            RoleProcess process;
            lock (_gate) process = _roles[role];
            if (!process.HasExited) continue;
            lock (_gate) _roles.Remove(role);
            UnplannedExits++;
            log($"{role} exited on its own (code {process.ExitCode}); restarting. Last lines:\n{process.Tail(5)}");
            process.Dispose();
            await StartAsync(role, ct).ConfigureAwait(false);
        }
    }

    private static async Task WaitReadyAsync(RoleProcess role, TimeSpan timeout, CancellationToken ct)
    {
        using var scraper = new MetricsScraper(role.HttpPort!.Value);
        var path = role.Name == "serve" ? "healthz" : "readyz";
        var clock = Stopwatch.StartNew();
        while (!await scraper.IsOkAsync(path, ct).ConfigureAwait(false))
        {
            if (role.HasExited) throw new InvalidOperationException($"{role.Name} exited with code {role.ExitCode}:\n{role.Tail()}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"{role.Name} not {path} within {timeout.TotalSeconds:F0} s:\n{role.Tail()}");
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<RoleProcess> all;
        lock (_gate) all = [.. _roles.Values];
        foreach (var r in Enumerable.Reverse(all))
        {
            await r.StopAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            r.Dispose();
        }
        _roles.Clear();
    }
}
