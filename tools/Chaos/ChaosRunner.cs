using System.Diagnostics;
using Confluent.Kafka;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using StackExchange.Redis;

namespace PeterRec.Chaos;

/// <summary>
/// One fault-injection run: an in-process mock Kafka cluster, a redis-server with an fsync'd AOF, the roles as child
/// processes; a steady load with poison; SIGKILLs of random roles at random moments, a Redis outage and broker errors
/// while it runs; then a drain until the audit (topic vs Redis, dead letters) is clean or the drain time is up.
/// </summary>
public sealed class ChaosRunner(ChaosSettings s, Action<string> log)
{
    private const string Prefix = "chaos";

    /// <summary>
    /// Runs once. A failed run (or one that threw) keeps its work directory, renamed to <c>&lt;work-dir&gt;-failed-&lt;utc
    /// time&gt;</c> so the next run cannot wipe it: role logs (<c>logs/</c>), this run's log (<c>chaos.log</c>), the Redis
    /// AOF, checkpoints, <c>report.json</c> and <c>audit.txt</c> (the first differences found); the report says where.
    /// </summary>
    public async Task<ChaosReport> RunAsync(CancellationToken ct)
    {
        var work = Path.GetFullPath(s.WorkDir);
        if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        var runLog = new StreamWriter(Path.Combine(work, "chaos.log"), append: true) { AutoFlush = true };
        void Log(string m)
        {
            lock (runLog) runLog.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {m}");
            log(m);
        }
        ChaosReport report;
        try
        {
            report = await RunInAsync(work, Log, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log($"run failed: {e}");
            runLog.Dispose();
            log($"failed run kept in {Keep(work)}");
            throw;
        }
        if (report.Passed)
        {
            runLog.Dispose();
            return report;
        }
        await File.WriteAllTextAsync(Path.Combine(work, "report.json"), report.ToJson(), CancellationToken.None).ConfigureAwait(false);
        await File.WriteAllLinesAsync(Path.Combine(work, "audit.txt"), report.AuditDetails, CancellationToken.None).ConfigureAwait(false);
        runLog.Dispose();
        var kept = Keep(work);
        log($"failed run kept in {kept}");
        return report with { KeptWorkDir = kept };
    }

    private static string Keep(string work)
    {
        var kept = $"{work}-failed-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
        Directory.Move(work, kept);
        return kept;
    }

    private async Task<ChaosReport> RunInAsync(string work, Action<string> log, CancellationToken ct)
    {
        var topics = new TopicOptions();
        using var cluster = new MockKafkaCluster();
        cluster.SetInitialRebalanceDelay(TimeSpan.Zero);
        // A SIGKILLed member cannot leave its group; with Kafka's 45 s default the trainer waited that long.
        cluster.SetConsumerGroupSessionTimeout(TimeSpan.FromSeconds(10));
        foreach (var t in topics.All) cluster.CreateTopic(t, s.Partitions);
        using var redis = new ChaosRedis(Path.Combine(work, "redis"));
        var backbone = ChaosBackbone.Create(Path.Combine(work, "backbone"), s.Items, s.WindowSize, s.Seed);
        var checkpoints = Path.Combine(work, "checkpoints");
        log($"broker {cluster.BootstrapServers}, redis {redis.Configuration}, work dir {work}");

        string[] Connection() => ["--kafka", cluster.BootstrapServers, "--redis", redis.Configuration, "--key-prefix", Prefix];
        string[] ArgsFor(string role) => role switch
        {
            "ingest" => ["ingest", .. Connection()],
            "train" => ["train", .. Connection(), "--backbone", backbone, "--task", "rec", "--checkpoint-dir", checkpoints, "--threads", "1", "--publish-every-steps", "20"],
            "serve" => ["serve", .. Connection(), "--backbone", backbone, "--tasks", "rec", "--threads", "1"],
            _ => throw new ArgumentException($"unknown role '{role}': expected ingest, train or serve"),
        };
        Dictionary<string, string> EnvFor(string role) => new()
        {
            ["PETERREC_Ingest__WindowSize"] = $"{s.WindowSize}",
            ["PETERREC_Trainer__MicroBatch"] = "32",
            ["PETERREC_Trainer__MaxTargets"] = "100",
            ["PETERREC_Logging__LogLevel__Default"] = "Warning",
            // The classic protocol's session timeout is the client's (45 s by default); match the broker's 10 s above.
            ["PETERREC_Kafka__Config__session_timeout_ms"] = "10000",
        };

        await using var roles = new ChaosRoles(ArgsFor, EnvFor, Path.Combine(work, "logs"), log);
        foreach (var role in s.Roles) await roles.StartAsync(role, ct);
        log($"roles up: {string.Join(", ", roles.Pids.Select(p => $"{p.Key} (pid {p.Value})"))}");

        var duration = TimeSpan.FromSeconds(s.Seconds);
        var load = new ChaosLoad(s, cluster.BootstrapServers, topics);
        var rss = new Dictionary<string, List<double>>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = Stopwatch.StartNew();
        var loadTask = load.RunAsync(duration, ct);
        var samplerTask = SampleRssAsync(roles, redis, rss, stop.Token);
        double redisOutage = 0, brokerOutage = 0;
        var notReadyDuringOutage = new List<string>();
        var rng = new Random(s.Seed);
        var events = new List<(double At, string What)>();
        for (int k = 0; k < s.Kills; k++) events.Add((duration.TotalSeconds * (0.1 + 0.8 * rng.NextDouble()), s.Roles[rng.Next(s.Roles.Count)]));
        if (s.RedisOutageSeconds > 0) events.Add((duration.TotalSeconds * 0.5, "redis-outage"));
        if (s.BrokerErrors) events.Add((duration.TotalSeconds * 0.3, "broker-errors"));
        foreach (var (at, what) in events.OrderBy(e => e.At))
        {
            while (clock.Elapsed.TotalSeconds < at && !ct.IsCancellationRequested)
            {
                await roles.SuperviseAsync(ct);
                await Task.Delay(200, ct);
            }
            switch (what)
            {
                case "redis-outage":
                    log($"redis-server killed for {s.RedisOutageSeconds} s");
                    var down = Stopwatch.StartNew();
                    redis.Kill();
                    await Task.Delay(TimeSpan.FromSeconds(s.RedisOutageSeconds), ct);
                    // Readiness must say what is true: without Redis nothing can be made durable.
                    foreach (var role in s.Roles.Where(r => r != "serve"))
                        if (!await roles.IsReadyAsync(role, ct)) notReadyDuringOutage.Add(role);
                    redis.Start();
                    redisOutage += down.Elapsed.TotalSeconds;
                    log("redis-server back (same AOF)");
                    break;
                case "broker-errors":
                    var start = Stopwatch.StartNew();
                    log("broker: request errors on produce/fetch/commit, then down for 3 s");
                    cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.NotEnoughReplicas);
                    cluster.PushRequestErrors(KafkaApiKey.Fetch, ErrorCode.NotLeaderForPartition, ErrorCode.UnknownTopicOrPart);
                    cluster.PushRequestErrors(KafkaApiKey.OffsetCommit, ErrorCode.RequestTimedOut, ErrorCode.NotCoordinatorForGroup);
                    cluster.SetBrokerDown();
                    await Task.Delay(TimeSpan.FromSeconds(3), ct);
                    cluster.SetBrokerUp();
                    brokerOutage += start.Elapsed.TotalSeconds;
                    break;
                default:
                    await roles.KillAndRestartAsync(what, ct);
                    break;
            }
        }
        while (!loadTask.IsCompleted) { await roles.SuperviseAsync(ct); await Task.Delay(200, ct); }
        await loadTask;
        var loadSeconds = clock.Elapsed.TotalSeconds;
        log($"load done: {load.Clicks} clicks, {load.TaskEvents} task events, {load.Poison} poison in {loadSeconds:F0} s; draining");

        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Configuration + ",abortConnect=false");
        var consumed = new List<string>();
        if (s.Roles.Contains("ingest")) consumed.Add(topics.Clicks);
        if (s.Roles.Contains("train")) consumed.Add(topics.TaskEvents);
        if (s.Roles.Contains("serve")) consumed.Add(topics.ChangedUsers);
        var drain = Stopwatch.StartNew();
        AuditResult audit;
        while (true)
        {
            await roles.SuperviseAsync(ct);
            audit = await WindowAudit.RunAsync(cluster.BootstrapServers, mux, Prefix, s.WindowSize, topics, consumed);
            if (audit.Clean || drain.Elapsed.TotalSeconds > s.DrainSeconds) break;
            await Task.Delay(1000, ct);
        }
        stop.Cancel();
        try { await samplerTask; } catch (OperationCanceledException) { }
        var keys = new RedisKeys(Prefix);
        var db = mux.GetDatabase();
        var latest = await db.StringGetAsync(keys.LatestVersion("rec"));
        var server = mux.GetServer(mux.GetEndPoints()[0]);
        long recs = 0;
        await foreach (var _ in server.KeysAsync(pattern: keys.Recs("USERX", "rec").Replace("USERX", "*", StringComparison.Ordinal), pageSize: 1000)) recs++;
        return new ChaosReport
        {
            LoadSeconds = loadSeconds, Rate = s.Rate, ClicksSent = load.Clicks, ClicksOnTopic = audit.ValidClicks, TaskEventsSent = load.TaskEvents, PoisonSent = load.Poison,
            ProduceFailures = load.Failed, Users = audit.Users, ExpectedWindowEntries = audit.ExpectedEntries, WindowEntries = audit.WindowEntries,
            Lost = audit.Lost, Duplicated = audit.Duplicated, Unexpected = audit.Unexpected, UsersWrong = audit.UsersWrong,
            DeadLettersExpected = audit.DeadLettersExpected, DeadLettersReceived = audit.DeadLettersReceived,
            DeadLettersDistinct = audit.DeadLettersDistinct, DeadLettersMissing = audit.DeadLettersMissing,
            Kills = roles.Kills, RestartsSurvived = roles.RestartsSurvived, UnplannedExits = roles.UnplannedExits, MaxRecoverySeconds = roles.MaxRecoverySeconds,
            RedisOutageSeconds = redisOutage, BrokerOutageSeconds = brokerOutage, DrainSeconds = drain.Elapsed.TotalSeconds,
            NotReadyDuringRedisOutage = notReadyDuringOutage,
            PatchVersion = latest.IsNull ? 0 : (long)latest, RecsWritten = recs,
            RssMiB = rss.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => new[] { r.Value[Math.Min(r.Value.Count - 1, WarmupSamples)], r.Value[^1] }),
            RssPerMinuteMiB = rss.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key,
                r => r.Value.Where((_, i) => i % Math.Max(1, 60 / Math.Max(1, s.RssSampleSeconds)) == 0).Append(r.Value[^1]).ToArray()),
            Passed = audit.Clean && load.Failed == 0 && audit.ValidClicks >= load.Clicks,
            AuditDetails = [.. audit.Details],
        };
    }

    /// <summary>Samples taken before this count as warm-up (the first minute at the default interval).</summary>
    private int WarmupSamples => Math.Max(0, 60 / Math.Max(1, s.RssSampleSeconds));

    /// <summary>RSS per role name; a restarted role continues its series (so kills show as drops, not as leaks).</summary>
    private async Task SampleRssAsync(ChaosRoles roles, ChaosRedis redis, Dictionary<string, List<double>> rss, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var pids = roles.Pids.Append(new KeyValuePair<string, int>("redis-server", redis.Pid ?? 0))
                .Append(new KeyValuePair<string, int>("chaos (broker+load)", Environment.ProcessId));
            foreach (var (name, pid) in pids)
                if (RssSampler.MiB(pid) is { } mib)
                    lock (rss) { if (!rss.TryGetValue(name, out var list)) rss[name] = list = []; list.Add(mib); }
            await Task.Delay(TimeSpan.FromSeconds(s.RssSampleSeconds), ct);
        }
    }
}
