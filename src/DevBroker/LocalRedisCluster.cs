using System.Diagnostics;

namespace PeterRec.DevBroker;

/// <summary>
/// A private Redis Cluster on loopback: <c>masters</c> masters with one replica each, every node a
/// <c>redis-server --cluster-enabled yes</c> on a free port (its cluster bus on another free port), joined with
/// <c>redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes</c>. Node files live under one directory;
/// every node is stopped by its own pid. A master can be killed (its replica is promoted after the node timeout) and
/// restarted (it rejoins as a replica of the promoted one). With <c>durable</c> each node keeps an AOF fsync'd on every
/// write, as <c>chaos</c> wants of its Redis.
/// </summary>
public sealed class LocalRedisCluster : IDisposable
{
    /// <summary>How long a node may be unreachable before its replica takes over; short, so a chaos kill heals fast.</summary>
    public const int NodeTimeoutMs = 2000;

    private readonly string _server;
    private readonly string _cli;
    private readonly bool _durable;
    private readonly Dictionary<int, Process?> _nodes = [];
    private readonly Dictionary<int, int> _busPorts = [];

    private LocalRedisCluster(string server, string dir, bool durable)
    {
        _server = server;
        _cli = Path.Combine(Path.GetDirectoryName(server) ?? "", "redis-cli");
        if (!File.Exists(_cli)) _cli = "redis-cli";
        Dir = dir;
        _durable = durable;
    }

    public string Dir { get; }

    public IReadOnlyList<int> Ports => [.. _nodes.Keys];

    /// <summary>StackExchange.Redis configuration naming every node; the client discovers the slots from any of them.</summary>
    public string Configuration => string.Join(",", _nodes.Keys.Select(p => $"127.0.0.1:{p}"));

    public IReadOnlyDictionary<int, int> Pids => _nodes.Where(n => n.Value is { HasExited: false }).ToDictionary(n => n.Key, n => n.Value!.Id);

    public static LocalRedisCluster Start(string dir, int masters = 3, bool durable = false, string server = "/usr/bin/redis-server")
    {
        if (masters < 3) throw new ArgumentOutOfRangeException(nameof(masters), masters, "Redis Cluster needs at least 3 masters");
        if (!File.Exists(server)) server = "redis-server";
        Directory.CreateDirectory(dir);
        var cluster = new LocalRedisCluster(server, dir, durable);
        try
        {
            for (var i = 0; i < masters * 2; i++)
            {
                var port = LoopbackPort.Free();
                int bus;
                do bus = LoopbackPort.Free(); while (bus == port);
                cluster._busPorts[port] = bus;
                cluster.StartNode(port);
            }
            cluster.Cli(TimeSpan.FromSeconds(60), ["--cluster", "create", .. cluster._nodes.Keys.Select(p => $"127.0.0.1:{p}"), "--cluster-replicas", "1", "--cluster-yes"]);
            cluster.WaitHealthy(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    private void StartNode(int port)
    {
        var nodeDir = Path.Combine(Dir, port.ToString());
        Directory.CreateDirectory(nodeDir);
        var psi = new ProcessStartInfo(_server) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[]
                 {
                     "--port", $"{port}", "--bind", "127.0.0.1", "--daemonize", "no", "--save", "", "--dir", nodeDir,
                     "--logfile", Path.Combine(nodeDir, "redis.log"), "--cluster-enabled", "yes", "--cluster-port", $"{_busPorts[port]}",
                     "--cluster-config-file", Path.Combine(nodeDir, "nodes.conf"), "--cluster-node-timeout", $"{NodeTimeoutMs}",
                     "--appendonly", _durable ? "yes" : "no", "--appendfsync", _durable ? "always" : "everysec",
                 })
            psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_server}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start '{_server}' ({e.Message}); install Debian's redis-server", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _nodes[port] = process;
        LoopbackPort.WaitUntilAccepting(process, port, TimeSpan.FromSeconds(20), $"redis-server cluster node (log {Path.Combine(nodeDir, "redis.log")})");
    }

    /// <summary>Ports of the nodes that are masters now, as the first live node sees it.</summary>
    public IReadOnlyList<int> Masters()
    {
        var live = Pids.Keys.First();
        return [.. Cli(TimeSpan.FromSeconds(20), ["-p", $"{live}", "cluster", "nodes"])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' '))
            .Where(f => f.Length > 2 && f[2].Contains("master", StringComparison.Ordinal) && !f[2].Contains("fail", StringComparison.Ordinal))
            .Select(f => int.Parse(f[1][(f[1].LastIndexOf(':') + 1)..].Split('@')[0]))];
    }

    /// <summary>SIGKILLs one node; with a replica it fails over after <see cref="NodeTimeoutMs"/>.</summary>
    public void Kill(int port)
    {
        if (_nodes.GetValueOrDefault(port) is not { } p) return;
        if (!p.HasExited) { p.Kill(); p.WaitForExit(); }
        p.Dispose();
        _nodes[port] = null;
    }

    /// <summary>Starts a killed node again on its port, directory and node file: it rejoins the cluster.</summary>
    public void Restart(int port)
    {
        if (_nodes.GetValueOrDefault(port) is { HasExited: false }) return;
        StartNode(port);
    }

    /// <summary>After <see cref="Kill"/> of a master: waits until a replica took its place (the other nodes no longer list
    /// it as a master and again count <paramref name="masters"/> healthy ones), then until every live node is ok.</summary>
    public void WaitFailover(int killed, int masters, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var now = Masters();
            if (!now.Contains(killed) && now.Count >= masters) break;
            if (clock.Elapsed > timeout) throw new TimeoutException($"Redis Cluster under {Dir}: no replica took over from {killed} within {timeout.TotalSeconds:F0} s (masters {string.Join(",", now)})");
            Thread.Sleep(200);
        }
        WaitHealthy(timeout - clock.Elapsed);
    }

    /// <summary>Waits until every live node reports <c>cluster_state:ok</c> (all slots served).</summary>
    public void WaitHealthy(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var bad = Pids.Keys.Where(p => !Cli(TimeSpan.FromSeconds(10), ["-p", $"{p}", "cluster", "info"]).Contains("cluster_state:ok", StringComparison.Ordinal)).ToList();
            if (bad.Count == 0) return;
            if (clock.Elapsed > timeout)
                throw new TimeoutException($"Redis Cluster under {Dir}: nodes {string.Join(",", bad)} not cluster_state:ok after {timeout.TotalSeconds:F0} s");
            Thread.Sleep(200);
        }
    }

    private string Cli(TimeSpan timeout, string[] args)
    {
        var psi = new ProcessStartInfo(_cli) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {_cli}");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(); throw new TimeoutException($"redis-cli {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:F0} s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"redis-cli {string.Join(' ', args)} failed ({p.ExitCode}): {error.Result.Trim()} {output.Result.Trim()}");
        return output.Result;
    }

    public void Dispose()
    {
        foreach (var (_, p) in _nodes)
        {
            if (p is null) continue;
            try
            {
                if (!p.HasExited) { p.Kill(); p.WaitForExit(5000); }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
            p.Dispose();
        }
    }
}
