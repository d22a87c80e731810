using System.Diagnostics;
using PeterRec.DevBroker;
using PeterRec.Model.Data;
using PeterRec.Model.Storage;

namespace PeterRec.Orchestration;

/// <summary>
/// Everything one run starts, in order: Redis, the dev broker, data and backbone, then Ingest, Trainer and Serving as
/// child processes of this binary. Disposed in reverse order; roles get SIGTERM first so they commit and close.
/// </summary>
public sealed class RunStack : IAsyncDisposable
{
    private readonly RunSettings _s;
    private readonly Action<string> _log;
    private readonly List<RoleProcess> _children = [];
    private RedisLauncher? _redis;
    private LocalRedisCluster? _redisCluster;

    private RunStack(RunSettings settings, Action<string> log)
    {
        _s = settings;
        _log = log;
        WorkDir = Path.GetFullPath(settings.WorkDir);
        LogDir = Path.Combine(WorkDir, "logs");
    }

    public string WorkDir { get; }

    public string LogDir { get; }

    public string RedisConfiguration { get; private set; } = "";

    /// <summary>Bootstrap servers (external) or null when the dev broker's file is used.</summary>
    public string? KafkaServers { get; private set; }

    public string? BootstrapFile { get; private set; }

    public string Backbone { get; private set; } = "";

    public string Data { get; private set; } = "";

    public RoleProcess Ingest { get; private set; } = null!;

    public RoleProcess Trainer { get; private set; } = null!;

    public RoleProcess Serving { get; private set; } = null!;

    public static async Task<RunStack> StartAsync(RunSettings settings, Action<string> log, CancellationToken ct)
    {
        var stack = new RunStack(settings, log);
        try
        {
            await stack.StartAllAsync(ct);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private async Task StartAllAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(WorkDir);
        if (Directory.Exists(LogDir)) Directory.Delete(LogDir, recursive: true);
        Directory.CreateDirectory(LogDir);

        if (_s.RedisCluster)
        {
            RedisLauncher.FindOrInstall(_log);
            _redisCluster = LocalRedisCluster.Start(Path.Combine(WorkDir, "redis-cluster"));
            RedisConfiguration = _redisCluster.Configuration;
            _log($"Redis Cluster (3 masters + 3 replicas) on {RedisConfiguration}");
        }
        else if (_s.Redis is null)
        {
            // With a fresh dev broker (offsets from 0) an earlier run's windows and applied offsets would make Ingest
            // skip this run's clicks: start Redis empty then.
            _redis = RedisLauncher.Start(Path.Combine(WorkDir, "redis"), _log, fresh: _s.Kafka is null);
            RedisConfiguration = _redis.Configuration;
            _log($"redis-server on {RedisConfiguration} (pid file {Path.Combine(_redis.Dir, "redis.pid")})");
        }
        else RedisConfiguration = _s.Redis;

        var checkpoints = Path.Combine(WorkDir, "checkpoints");
        if (_s.Kafka is null)
        {
            BootstrapFile = Path.Combine(WorkDir, "kafka.bootstrap");
            File.Delete(BootstrapFile);
            var broker = Start("dev-broker", ["dev-broker", "--bootstrap-file", BootstrapFile, "--partitions", $"{_s.Partitions}"]);
            await WaitForFileAsync(broker, BootstrapFile, ct);
            // A fresh broker has no offsets: checkpoints of an earlier run would make the trainer skip this run's events.
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
            _log($"dev broker on {File.ReadAllText(BootstrapFile).Trim()}");
        }
        else KafkaServers = _s.Kafka;

        await PrepareModelAsync(ct);

        Ingest = Start("ingest", ["ingest", .. Connection()], LoopbackPort.Free(), BrokerEnvironment());
        var trainerEnv = BrokerEnvironment();
        trainerEnv["PETERREC_Trainer__PrequentialWindow"] = $"{_s.PrequentialWindow}";
        Trainer = Start("train", ["train", .. Connection(), "--backbone", Backbone, "--task", _s.Task, "--checkpoint-dir", checkpoints,
            "--publish-every-steps", $"{_s.PublishEverySteps}", "--threads", $"{_s.RoleThreads}"], LoopbackPort.Free(), trainerEnv, _s.TrainerNiceness);
        Serving = Start("serve", ["serve", .. Connection(), "--backbone", Backbone, "--tasks", _s.Task, "--threads", $"{_s.RoleThreads}"],
            LoopbackPort.Free(), BrokerEnvironment());
        // Serving reports ready only once every task has a patch, which needs the stream: wait for it to be live.
        await Task.WhenAll(WaitForAsync(Ingest, "readyz", ct), WaitForAsync(Trainer, "readyz", ct), WaitForAsync(Serving, "healthz", ct));
    }

    /// <summary>
    /// On the dev broker only: a short <c>fetch.wait.max.ms</c>. librdkafka's mock cluster answers a fetch that found no
    /// records only after the full wait (500 ms by default), even when records arrive meanwhile; a real broker answers
    /// as soon as they do. With the default, each of the two Kafka hops between a click and its recommendations waited
    /// up to 500 ms for nothing (measured: click-to-window p50 172 ms, announce-to-batch p50 254 ms).
    /// </summary>
    private Dictionary<string, string> BrokerEnvironment() => KafkaServers is null
        ? new() { ["PETERREC_Kafka__Config__fetch_wait_max_ms"] = $"{DevBrokerFetchWaitMs}" }
        : [];

    /// <summary>See <see cref="BrokerEnvironment"/>.</summary>
    public const int DevBrokerFetchWaitMs = 10;

    private string[] Connection() =>
    [
        .. KafkaServers is not null ? new[] { "--kafka", KafkaServers } : ["--bootstrap-file", BootstrapFile!],
        "--redis", RedisConfiguration, "--key-prefix", _s.KeyPrefix,
    ];

    /// <summary>The given backbone and data, or the synthetic benchmark and a small backbone pretrained on it (cached in the work dir).</summary>
    private async Task PrepareModelAsync(CancellationToken ct)
    {
        var dataDir = Path.Combine(WorkDir, "data");
        if (_s.EventsFile is not null) Data = Path.GetFullPath(_s.EventsFile);
        else if (_s.Data is null)
        {
            var options = new SyntheticOptions { PretrainUsers = _s.PretrainUsers, FineTuneUsers = _s.StreamUsers };
            var stamp = Path.Combine(dataDir, "options.txt");
            if (_s.Fresh || !File.Exists(stamp) || File.ReadAllText(stamp) != options.ToString())
            {
                _log($"gen-data: {_s.PretrainUsers} pretrain users, {_s.StreamUsers} stream users -> {dataDir}");
                SyntheticTransfer.Generate(dataDir, options);
                File.WriteAllText(stamp, options.ToString());
                if (Directory.Exists(Path.Combine(WorkDir, "backbone"))) Directory.Delete(Path.Combine(WorkDir, "backbone"), recursive: true);
            }
            Data = Path.Combine(dataDir, "rec.csv");
        }
        else Data = Path.GetFullPath(_s.Data);

        if (_s.Backbone is not null)
        {
            Backbone = Path.GetFullPath(_s.Backbone);
            return;
        }
        Backbone = Path.Combine(WorkDir, "backbone");
        var pretrainData = Path.Combine(dataDir, "pretrain.csv");
        if (!File.Exists(pretrainData))
            throw new InvalidOperationException($"no backbone given and no {pretrainData} to pretrain one on; pass --backbone or drop --data");
        if (!_s.Fresh && File.Exists(Path.Combine(Backbone, ModelStore.BackboneFile)))
        {
            _log($"reusing the backbone in {Backbone} (--fresh to pretrain again)");
            return;
        }
        _log($"pretrain: {_s.PretrainEpochs} epochs, {_s.Channels} channels on {pretrainData} (log: {Path.Combine(LogDir, "pretrain.log")})");
        var clock = Stopwatch.StartNew();
        using var pretrain = RoleProcess.Start("pretrain",
            ["pretrain", "--data", pretrainData, "--out", Backbone, "--emb", $"{_s.Channels}", "--epochs", $"{_s.PretrainEpochs}", "--patience", "100", "--force"], LogDir);
        int code;
        try
        {
            code = await pretrain.WaitForExitAsync(TimeSpan.FromMinutes(30), ct);
        }
        catch (OperationCanceledException)
        {
            await pretrain.StopAsync(TimeSpan.FromSeconds(5));
            throw;
        }
        if (code != 0) throw new InvalidOperationException($"pretrain failed (exit {code}):\n{pretrain.Tail()}");
        _log($"pretrain: done in {clock.Elapsed.TotalSeconds:F0} s");
    }

    private RoleProcess Start(string name, string[] args, int? httpPort = null, Dictionary<string, string>? env = null, int? niceness = null)
    {
        var child = RoleProcess.Start(name, args, LogDir, httpPort, env, niceness is 0 ? null : niceness);
        _children.Add(child);
        _log($"started {name} (pid {child.Pid}{(httpPort is { } p ? $", http://127.0.0.1:{p}/metrics" : "")}; log {child.LogPath})");
        return child;
    }

    private async Task WaitForFileAsync(RoleProcess owner, string path, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (owner.HasExited) throw new InvalidOperationException($"{owner.Name} exited with code {owner.ExitCode}:\n{owner.Tail()}");
            if (clock.Elapsed > _s.StartTimeout) throw new TimeoutException($"{owner.Name} did not write {path} within {_s.StartTimeout.TotalSeconds:F0} s");
            await Task.Delay(50, ct);
        }
    }

    private async Task WaitForAsync(RoleProcess role, string path, CancellationToken ct)
    {
        using var scraper = new MetricsScraper(role.HttpPort!.Value);
        var clock = Stopwatch.StartNew();
        while (!await scraper.IsOkAsync(path, ct))
        {
            if (role.HasExited) throw new InvalidOperationException($"{role.Name} exited with code {role.ExitCode}:\n{role.Tail()}");
            if (clock.Elapsed > _s.StartTimeout)
                throw new TimeoutException($"{role.Name} was not {path.TrimEnd('z')} within {_s.StartTimeout.TotalSeconds:F0} s; log {role.LogPath}:\n{role.Tail()}");
            await Task.Delay(200, ct);
        }
        _log($"{role.Name}: {path} ok after {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Children that died on their own, e.g. a role that crashed mid-run.</summary>
    public IEnumerable<RoleProcess> Exited => _children.Where(c => c.HasExited && c.Name != "pretrain");

    public async ValueTask DisposeAsync()
    {
        // Reverse order: serving and trainer before ingest, the broker last of the children, then Redis.
        for (var i = _children.Count - 1; i >= 0; i--)
        {
            var code = await _children[i].StopAsync(TimeSpan.FromSeconds(15));
            if (code is not (0 or 143)) _log($"{_children[i].Name} stopped with exit code {code} (log {_children[i].LogPath})");
            _children[i].Dispose();
        }
        _children.Clear();
        _redis?.Dispose();
        _redisCluster?.Dispose();
    }
}
