using System.Diagnostics;
using PeterRec.DevBroker;
using PeterRec.Orchestration;

namespace PeterRec.Chaos;

/// <summary>
/// The roles of a chaos run as child processes, one or more instances per role (<c>ingest</c>, <c>ingest.2</c>, ...; the
/// instances of a role share its consumer group): started, SIGKILLed, restarted, scaled up and down, and brought back
/// if they die on their own (counted separately). An instance is "back" when its /readyz (serving: /healthz; it is
/// ready only with a patch) answers.
/// </summary>
public sealed class ChaosRoles(Func<string, string[]> argsFor, Func<string, Dictionary<string, string>> envFor, string logDir, Action<string> log) : IAsyncDisposable
{
    private readonly Dictionary<string, RoleProcess> _roles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _started = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public int Kills { get; private set; }
    public int RestartsSurvived { get; private set; }
    public int UnplannedExits { get; private set; }
    /// <summary>Instances added, removed with SIGTERM and removed with kill -9 (not restarted) during the load.</summary>
    public int ScaledUp { get; private set; }
    public int ScaledDownTerm { get; private set; }
    public int ScaledDownKill { get; private set; }
    /// <summary>Longest time from a kill until the restarted role answered again.</summary>
    public double MaxRecoverySeconds { get; private set; }

    /// <summary>The role an instance runs: <c>ingest.2</c> runs <c>ingest</c>.</summary>
    public static string RoleOf(string instance) => instance.Split('.')[0];

    public IReadOnlyDictionary<string, int> Pids { get { lock (_gate) return _roles.ToDictionary(r => r.Key, r => r.Value.Pid); } }

    /// <summary>Live instances of a role, oldest first.</summary>
    public IReadOnlyList<string> Instances(string role)
    {
        lock (_gate) return [.. _roles.Keys.Where(i => RoleOf(i) == role).Order(StringComparer.Ordinal)];
    }

    /// <summary>HTTP port of every live instance of a role.</summary>
    public IReadOnlyDictionary<string, int> Ports(string role)
    {
        lock (_gate) return _roles.Where(r => RoleOf(r.Key) == role).ToDictionary(r => r.Key, r => r.Value.HttpPort!.Value);
    }

    /// <summary>True when the instance's /readyz answers 200 now.</summary>
    public async Task<bool> IsReadyAsync(string instance, CancellationToken ct)
    {
        int port;
        lock (_gate) { if (!_roles.TryGetValue(instance, out var p)) return false; port = p.HttpPort!.Value; }
        using var scraper = new MetricsScraper(port);
        return await scraper.IsOkAsync("readyz", ct).ConfigureAwait(false);
    }

    /// <summary>Starts a new instance of <paramref name="role"/> (named <c>role</c>, then <c>role.2</c>, ...) and waits until it answers.</summary>
    public async Task<string> AddAsync(string role, CancellationToken ct)
    {
        string instance;
        lock (_gate)
        {
            var n = _started.GetValueOrDefault(role) + 1;
            _started[role] = n;
            instance = n == 1 ? role : $"{role}.{n}";
        }
        await StartAsync(instance, ct).ConfigureAwait(false);
        return instance;
    }

    private async Task StartAsync(string instance, CancellationToken ct)
    {
        var role = RoleOf(instance);
        var process = RoleProcess.Start(instance, argsFor(role), logDir, LoopbackPort.Free(), envFor(role));
        lock (_gate) _roles[instance] = process;
        await WaitReadyAsync(process, role, TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
    }

    /// <summary>SIGKILL, then start again and wait until it answers.</summary>
    public async Task KillAndRestartAsync(string instance, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        await KillAsync(instance).ConfigureAwait(false);
        Kills++;
        await StartAsync(instance, ct).ConfigureAwait(false);
        RestartsSurvived++;
        MaxRecoverySeconds = Math.Max(MaxRecoverySeconds, clock.Elapsed.TotalSeconds);
        log($"{instance} back after {clock.Elapsed.TotalSeconds:F1} s");
    }

    private async Task KillAsync(string instance)
    {
        RoleProcess old;
        lock (_gate) { old = _roles[instance]; _roles.Remove(instance); }
        var pid = old.Pid;
        Posix.KillHard(pid);
        await old.WaitForExitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        old.Dispose();
        log($"kill -9 {instance} (pid {pid})");
    }

    /// <summary>Scale up: one more instance of the role joins its group (a rebalance while records flow).</summary>
    public async Task ScaleUpAsync(string role, CancellationToken ct)
    {
        var instance = await AddAsync(role, ct).ConfigureAwait(false);
        ScaledUp++;
        log($"scaled {role} up: {instance} joined ({Instances(role).Count} instances)");
    }

    /// <summary>Scale down by one, the newest instance: SIGTERM (it commits and leaves the group) or kill -9 (it just vanishes).</summary>
    public async Task ScaleDownAsync(string role, bool hard, CancellationToken ct)
    {
        var instances = Instances(role);
        if (instances.Count < 2) { log($"not scaling {role} down: only {instances.Count} instance left"); return; }
        var instance = instances[^1];
        if (hard)
        {
            await KillAsync(instance).ConfigureAwait(false);
            ScaledDownKill++;
        }
        else
        {
            RoleProcess p;
            lock (_gate) { p = _roles[instance]; _roles.Remove(instance); }
            var code = await p.StopAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            p.Dispose();
            ScaledDownTerm++;
            log($"SIGTERM {instance}: exited with code {code}");
        }
        log($"scaled {role} down: {instance} gone ({Instances(role).Count} instances)");
    }

    /// <summary>Restarts any instance that exited without being killed here (e.g. a fatal error during an outage).</summary>
    public async Task SuperviseAsync(CancellationToken ct)
    {
        foreach (var (instance, _) in Pids)
        {
            RoleProcess process;
            lock (_gate) { if (!_roles.TryGetValue(instance, out process!)) continue; }
            if (!process.HasExited) continue;
            lock (_gate) _roles.Remove(instance);
            UnplannedExits++;
            log($"{instance} exited on its own (code {process.ExitCode}); restarting. Last lines:\n{process.Tail(5)}");
            process.Dispose();
            await StartAsync(instance, ct).ConfigureAwait(false);
        }
    }

    private static async Task WaitReadyAsync(RoleProcess process, string role, TimeSpan timeout, CancellationToken ct)
    {
        using var scraper = new MetricsScraper(process.HttpPort!.Value);
        var path = role == "serve" ? "healthz" : "readyz";
        var clock = Stopwatch.StartNew();
        while (!await scraper.IsOkAsync(path, ct).ConfigureAwait(false))
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited with code {process.ExitCode}:\n{process.Tail()}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"{process.Name} not {path} within {timeout.TotalSeconds:F0} s:\n{process.Tail()}");
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
