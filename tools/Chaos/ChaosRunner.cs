using System.Diagnostics;
using Confluent.Kafka;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Orchestration;
using StackExchange.Redis;

namespace PeterRec.Chaos;

/// <summary>
/// One fault-injection run: an in-process mock Kafka cluster, a redis-server with an fsync'd AOF (or a Redis Cluster
/// of such nodes), the roles as child processes (Ingest and Serving as <see cref="ChaosSettings.Replicas"/> instances
/// each); a steady load with poison; SIGKILLs of random instances at random moments, scale steps, a Redis outage (or
/// a master killed and failed over) and broker errors while it runs; then a drain until the audit (topic vs Redis,
/// dead letters) is clean or the drain time is up.
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
        using var redis = s.RedisCluster ? null : new ChaosRedis(Path.Combine(work, "redis"));
        using var redisCluster = s.RedisCluster
            ? LocalRedisCluster.Start(Path.Combine(work, "redis-cluster"), durable: true, server: RedisLauncher.FindOrInstall(log))
            : null;
        var redisConfig = redis?.Configuration ?? redisCluster!.Configuration;
        var backbone = ChaosBackbone.Create(Path.Combine(work, "backbone"), s.Items, s.WindowSize, s.Seed);
        var checkpoints = Path.Combine(work, "checkpoints");
        log($"broker {cluster.BootstrapServers}, redis {redisConfig}, work dir {work}");

        string[] Connection() => ["--kafka", cluster.BootstrapServers, "--redis", redisConfig, "--key-prefix", Prefix];
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
        foreach (var role in s.Roles)
            for (var i = 0; i < (role == "train" ? 1 : s.Replicas); i++) await roles.AddAsync(role, ct);
        log($"roles up: {string.Join(", ", roles.Pids.Select(p => $"{p.Key} (pid {p.Value})"))}");

        var duration = TimeSpan.FromSeconds(s.Seconds);
        var load = new ChaosLoad(s, cluster.BootstrapServers, topics);
        var rss = new Dictionary<string, List<double>>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var clock = Stopwatch.StartNew();
        var loadTask = load.RunAsync(duration, ct);
        var samplerTask = SampleRssAsync(roles, redis, redisCluster, rss, stop.Token);
        var ownership = new PartitionOwnership(roles, Watched(topics), s.Partitions, TimeSpan.FromMilliseconds(250));
        var ownershipTask = ownership.RunAsync(stop.Token);
        double redisOutage = 0, brokerOutage = 0, failover = 0;
        int masterKills = 0;
        var notReadyDuringOutage = new List<string>();
        var rng = new Random(s.Seed);
        var events = new List<(double At, string What)>();
        for (int k = 0; k < s.Kills; k++) events.Add((duration.TotalSeconds * (0.1 + 0.8 * rng.NextDouble()), s.Roles[rng.Next(s.Roles.Count)]));
        if (s.RedisOutageSeconds > 0) events.Add((duration.TotalSeconds * 0.5, "redis-outage"));
        if (s.RedisCluster) events.Add((duration.TotalSeconds * 0.5, "redis-master-kill"));
        if (s.Replicas > 1)
            foreach (var (role, shift) in new[] { ("ingest", 0.0), ("serve", 0.05) }.Where(r => s.Roles.Contains(r.Item1)))
            {
                events.Add((duration.TotalSeconds * (0.2 + shift), "scale-up:" + role));
                events.Add((duration.TotalSeconds * (0.4 + shift), "scale-term:" + role));
                events.Add((duration.TotalSeconds * (0.6 + shift), "scale-kill:" + role));
            }
        if (s.BrokerErrors) events.Add((duration.TotalSeconds * 0.3, "broker-errors"));
        foreach (var (at, what) in events.OrderBy(e => e.At))
        {
            while (clock.Elapsed.TotalSeconds < at && !ct.IsCancellationRequested)
            {
                await roles.SuperviseAsync(ct);
                await Task.Delay(200, ct);
            }
            ownership.Mark(what switch
            {
                "ingest" or "serve" or "train" => "kill -9 (restarted)",
                var x when x.StartsWith("scale-up", StringComparison.Ordinal) => "scale up",
                var x when x.StartsWith("scale-term", StringComparison.Ordinal) => "scale down (SIGTERM)",
                var x when x.StartsWith("scale-kill", StringComparison.Ordinal) => "scale down (kill -9)",
                _ => what,
            });
            switch (what)
            {
                case "redis-outage":
                    log($"redis-server killed for {s.RedisOutageSeconds} s");
                    var down = Stopwatch.StartNew();
                    redis!.Kill();
                    await Task.Delay(TimeSpan.FromSeconds(s.RedisOutageSeconds), ct);
                    // Readiness must say what is true: without Redis nothing can be made durable.
                    foreach (var role in s.Roles.Where(r => r != "serve"))
                        foreach (var instance in roles.Instances(role))
                            if (!await roles.IsReadyAsync(instance, ct)) notReadyDuringOutage.Add(instance);
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
                case "redis-master-kill":
                    var masters = redisCluster!.Masters();
                    var victim = masters[rng.Next(masters.Count)];
                    var fo = Stopwatch.StartNew();
                    redisCluster.Kill(victim);
                    masterKills++;
                    log($"kill -9 redis master 127.0.0.1:{victim}; waiting for its replica to take over");
                    await Task.Run(() => redisCluster.WaitFailover(victim, masters.Count, TimeSpan.FromSeconds(60)), ct);
                    failover = Math.Max(failover, fo.Elapsed.TotalSeconds);
                    log($"failed over in {fo.Elapsed.TotalSeconds:F1} s; restarting {victim} (it rejoins as a replica)");
                    redisCluster.Restart(victim);
                    break;
                case var scale when scale.StartsWith("scale-", StringComparison.Ordinal):
                    var scaled = scale[(scale.IndexOf(':') + 1)..];
                    if (scale.StartsWith("scale-up", StringComparison.Ordinal)) await roles.ScaleUpAsync(scaled, ct);
                    else await roles.ScaleDownAsync(scaled, hard: scale.StartsWith("scale-kill", StringComparison.Ordinal), ct);
                    break;
                default:
                    var instances = roles.Instances(what);
                    if (instances.Count > 0) await roles.KillAndRestartAsync(instances[rng.Next(instances.Count)], ct);
                    break;
            }
        }
        while (!loadTask.IsCompleted) { await roles.SuperviseAsync(ct); await Task.Delay(200, ct); }
        await loadTask;
        var loadSeconds = clock.Elapsed.TotalSeconds;
        log($"load done: {load.Clicks} clicks, {load.TaskEvents} task events, {load.Poison} poison in {loadSeconds:F0} s; draining");

        using var mux = await ConnectionMultiplexer.ConnectAsync(redisConfig + ",abortConnect=false");
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
        await ownershipTask;
        var keys = new RedisKeys(Prefix);
        var db = mux.GetDatabase();
        var latest = await db.StringGetAsync(keys.LatestVersion("rec"));
        long recs = 0;
        foreach (var server in mux.GetEndPoints().Select(e => mux.GetServer(e)).Where(x => x.IsConnected && !x.IsReplica))
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
            Replicas = s.Replicas, ScaledUp = roles.ScaledUp, ScaledDownTerm = roles.ScaledDownTerm, ScaledDownKill = roles.ScaledDownKill,
            Rebalances = new(ownership.Rebalances), LongestUnownedSeconds = new(ownership.LongestUnownedSeconds),
            LongestUnownedByCause = new(ownership.LongestUnownedByCause),
            RedisCluster = s.RedisCluster, RedisMasterKills = masterKills, RedisFailoverSeconds = failover,
            PatchVersion = latest.IsNull ? 0 : (long)latest, RecsWritten = recs,
            RssMiB = rss.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key, r => new[] { r.Value[Math.Min(r.Value.Count - 1, WarmupSamples)], r.Value[^1] }),
            RssPerMinuteMiB = rss.Where(r => r.Value.Count > 0).ToDictionary(r => r.Key,
                r => r.Value.Where((_, i) => i % Math.Max(1, 60 / Math.Max(1, s.RssSampleSeconds)) == 0).Append(r.Value[^1]).ToArray()),
            Passed = audit.Clean && load.Failed == 0 && audit.ValidClicks >= load.Clicks,
            AuditDetails = [.. audit.Details],
        };
    }

    /// <summary>The input topic of each scaled role and the consume loop's name on it.</summary>
    private IReadOnlyDictionary<string, (string Consumer, string Topic)> Watched(TopicOptions topics)
    {
        var watched = new Dictionary<string, (string, string)>();
        if (s.Roles.Contains("ingest")) watched["ingest"] = ("ingest", topics.Clicks);
        if (s.Roles.Contains("serve")) watched["serve"] = ("serving", topics.ChangedUsers);
        return watched;
    }

    /// <summary>Samples taken before this count as warm-up (the first minute at the default interval).</summary>
    private int WarmupSamples => Math.Max(0, 60 / Math.Max(1, s.RssSampleSeconds));

    /// <summary>RSS per role name; a restarted role continues its series (so kills show as drops, not as leaks).</summary>
    private async Task SampleRssAsync(ChaosRoles roles, ChaosRedis? redis, LocalRedisCluster? redisCluster, Dictionary<string, List<double>> rss, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var redisPids = redisCluster?.Pids.Select(p => new KeyValuePair<string, int>($"redis-server:{p.Key}", p.Value))
                ?? [new KeyValuePair<string, int>("redis-server", redis?.Pid ?? 0)];
            var pids = roles.Pids.Concat(redisPids)
                .Append(new KeyValuePair<string, int>("chaos (broker+load)", Environment.ProcessId));
            foreach (var (name, pid) in pids)
                if (RssSampler.MiB(pid) is { } mib)
                    lock (rss) { if (!rss.TryGetValue(name, out var list)) rss[name] = list = []; list.Add(mib); }
            await Task.Delay(TimeSpan.FromSeconds(s.RssSampleSeconds), ct);
        }
    }
}
