using System.Diagnostics;
using Confluent.Kafka;
using PeterRec.Kafka;
using PeterRec.Producers;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Orchestration;

/// <summary>
/// The whole of <c>peterrec run</c>: start the stack, replay the stream while showing progress, wait until every role
/// has caught up (or the drain timeout), measure, stop everything. Returns the summary.
/// </summary>
public static class RunPipeline
{
    public static async Task<RunSummary> RunAsync(RunSettings s, ProgressView view, Action<string> log, CancellationToken ct)
    {
        var wall = Stopwatch.StartNew();
        // Read (and check) the user's log before anything starts: a bad row stops the run here, naming it.
        var ordered = default(IEnumerable<ReplayEvent>);
        var lastClicks = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        if (s.EventsFile is not null)
        {
            var (eventLog, events) = EventLogReplay.Read(s.EventsFile, s.LabelsFile, s.Task, new PeterRec.Model.Data.Events.EventLogOptions());
            log($"event log: {eventLog.Count} clicks and labels in event-time order ({eventLog.Clicks!.Rows} click rows, {eventLog.Labels?.Rows ?? 0} label rows)");
            // Each user's last click, for the closing pass that scores every user (ScoreEveryUserAsync).
            ordered = events.Select(e =>
            {
                if (e.Click is { } c) lastClicks[c.User] = c.Ts;
                return e;
            });
        }
        await using var stack = await RunStack.StartAsync(s, log, ct);
        // Admin: the freshness probe may need CONFIG SET to turn keyspace notifications on.
        var redisOptions = ConfigurationOptions.Parse(stack.RedisConfiguration);
        redisOptions.AllowAdmin = true;
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisOptions);
        var keys = new RedisKeys(s.KeyPrefix);
        var (probe, problem) = await FreshnessProbe.StartAsync(redis, keys, s.Task);
        if (problem is not null) log($"freshness: {problem}; falling back to Serving's histogram (bucket-interpolated)");
        await using var probeScope = probe;

        using var ingest = new MetricsScraper(stack.Ingest.HttpPort!.Value);
        using var trainer = new MetricsScraper(stack.Trainer.HttpPort!.Value);
        using var serving = new MetricsScraper(stack.Serving.HttpPort!.Value);
        var replay = new ReplayStream(stack.Data, s.Task, "u", s.Rate, s.Events, s.Users, timeOrdered: ordered);
        var (factory, topics) = KafkaSettings.FromEnvironment(stack.KafkaServers, stack.BootstrapFile);
        var producerConfig = factory.CreateProducerConfig("peterrec-run");
        producerConfig.LingerMs = 5;

        log($"replaying {stack.Data} at {(s.Rate > 0 ? $"{s.Rate:F0} events/s" : "full speed")}");
        var replayClock = Stopwatch.StartNew();
        long clicksHandled = 0;
        var replayTask = Task.Factory.StartNew(() =>
        {
            using var producer = KafkaClientFactory.Instance.CreateProducer(producerConfig);
            // A user's log interleaves labels tightly with their clicks: each label waits until Ingest has handled the
            // clicks before it (at most 30 s, so a stuck Ingest cannot hold the replay forever).
            var events = s.EventsFile is null ? replay.Events(ct)
                : LabelLag.Hold(replay.Events(ct), (before, held) => Interlocked.Read(ref clicksHandled) >= before || held > TimeSpan.FromSeconds(30), ct);
            var result = EventReplayer.Run(producer, topics, events, rate: 0, maxEvents: 0, ct);
            replayClock.Stop();
            return result;
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        var firstWindow = default(PrequentialPoint);
        RunProgress last = new();
        var drainClock = default(Stopwatch);
        await view.RunAsync(async update =>
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(500, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                if (stack.Exited.FirstOrDefault() is { } dead)
                    throw new InvalidOperationException($"{dead.Name} exited with code {dead.ExitCode} during the run:\n{dead.Tail()}");
                var scrapes = await Task.WhenAll(ingest.ScrapeAsync(ct), trainer.ScrapeAsync(ct), serving.ScrapeAsync(ct));
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var recent = probe?.Since(now - 10_000).Order().ToList();
                last = RunProgress.From(wall.Elapsed, replay, replayTask.IsCompleted, s.Task, "hr_5", scrapes[0], scrapes[1], scrapes[2],
                    recent is null ? scrapes[2].HistogramQuantile(RunProgress.ServingFreshness, 0.99) * 1000 : Percentiles.Of(recent, 0.99));
                // The first full window: the earliest scrape at which the trainer had trained at least a window's worth.
                if (firstWindow is null && last.LabelsTrained >= s.PrequentialWindow && last.PrequentialWindow is { } w)
                    firstWindow = new PrequentialPoint(w, (long)last.LabelsTrained);
                Interlocked.Exchange(ref clicksHandled, (long)(last.Ingested + last.DeadLetters + last.LateDropped));
                update(last);
                if (replayTask.IsFaulted) await replayTask;
                if (!replayTask.IsCompleted) continue;
                drainClock ??= Stopwatch.StartNew();
                if (last.Drained || drainClock.Elapsed > s.DrainTimeout) break;
            }
        });
        var produced = await replayTask;
        if (produced.Failed > 0) log($"replay: {produced.Failed} events could not be produced");
        if (!last.Drained) log($"drain: not caught up within {s.DrainTimeout.TotalSeconds:F0} s; the summary shows where each role stood");

        var finalScrape = await serving.ScrapeAsync(CancellationToken.None);
        var freshness = probe is not null
            ? RunSummary.Freshness(probe.Snapshot())
            : new FreshnessSummary(Ms(finalScrape.HistogramQuantile(RunProgress.ServingFreshness, 0.5)),
                Ms(finalScrape.HistogramQuantile(RunProgress.ServingFreshness, 0.99)), null,
                (long)finalScrape.Sum(RunProgress.ServingFreshness + "_count"), "histogram");
        if (s.EventsFile is not null && last.Drained && last.ServingPatchVersion > 0)
            await ScoreEveryUserAsync(lastClicks, factory, topics, serving, s, log, ct);
        var usersWithRecs = await CountRecsAsync(redis, keys, s.Task);
        var lastWindow = last.PrequentialWindow is { } lw ? new PrequentialPoint(lw, (long)last.LabelsTrained) : null;
        return new RunSummary(
            new ProducedCounts(produced.Clicks, produced.TaskEvents, produced.Clicks + produced.TaskEvents),
            (long)last.Ingested, (long)last.DeadLetters, (long)last.LabelsTrained, (long)last.LabelsHeldOut, (long)last.TrainSteps, (long)last.Publishes,
            (long?)last.ServingPatchVersion, usersWithRecs,
            new PrequentialSummary("hr_5", s.PrequentialWindow, firstWindow, lastWindow, last.PrequentialTotal,
                new BaselineSummary("popularity", last.BaselineWindow, last.BaselineTotal), Round3(last.Lift), Round3(last.LiftTotal)),
            freshness, s.Rate, Math.Round(replayClock.Elapsed.TotalSeconds, 2), Math.Round(wall.Elapsed.TotalSeconds, 1), last.Drained,
            stack.Backbone, stack.WorkDir,
            probe is null ? null : RunSummary.Stages(FreshnessProbe.Stages, probe.StageSnapshot()));
    }

    /// <summary>
    /// A log's clicks usually all come before its labels, so Serving, which scores a user when the user clicks, has no
    /// version yet for most of them. After the drain (freshness already measured) every replayed user is announced as
    /// changed once, with its last click's time, and the run waits until Serving has written them.
    /// </summary>
    private static async Task ScoreEveryUserAsync(System.Collections.Concurrent.ConcurrentDictionary<string, long> lastClicks,
        KafkaClientConfigs factory, TopicOptions topics, MetricsScraper serving, RunSettings s, Action<string> log, CancellationToken ct)
    {
        var before = (await serving.ScrapeAsync(ct)).Sum(RunProgress.ServingUsers, ("task", s.Task));
        using (var producer = KafkaClientFactory.Instance.CreateProducer(factory.CreateProducerConfig("peterrec-run-score")))
        {
            foreach (var (user, ts) in lastClicks)
                producer.Produce(topics.ChangedUsers, new Message<string, byte[]> { Key = user, Value = new ChangedUser(user, ts).ToJson() });
            producer.Flush(ct);
        }
        log($"scoring every replayed user once with the served version ({lastClicks.Count} users)");
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s.DrainTimeout && !ct.IsCancellationRequested)
        {
            var done = (await serving.ScrapeAsync(ct)).Sum(RunProgress.ServingUsers, ("task", s.Task)) - before;
            if (done >= lastClicks.Count) return;
            await Task.Delay(500, ct);
        }
        log("scoring every user: serving did not finish within the drain timeout");
    }

    private static double? Round3(double? v) => v is { } x ? Math.Round(x, 3) : null;

    private static double? Ms(double? seconds) => seconds is { } x ? Math.Round(x * 1000, 1) : null;

    /// <summary>Users that have a recommendations value for the task now (SCAN, so a shared Redis is not blocked).</summary>
    private static async Task<long> CountRecsAsync(IConnectionMultiplexer redis, RedisKeys keys, string task)
    {
        long count = 0;
        var pattern = $"{keys.Prefix}:*:recs:{RedisKeys.Escape("task", task)}";
        foreach (var endpoint in redis.GetEndPoints())
        {
            var server = redis.GetServer(endpoint);
            if (server.IsReplica) continue;
            await foreach (var _ in server.KeysAsync(pattern: pattern, pageSize: 1000)) count++;
        }
        return count;
    }
}
