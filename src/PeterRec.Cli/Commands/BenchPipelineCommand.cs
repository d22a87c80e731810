using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Cli.Produce;
using PeterRec.Common.Contracts;
using PeterRec.Common.Redis;
using PeterRec.DevBroker;
using PeterRec.Ingest.Hosting;
using StackExchange.Redis;

namespace PeterRec.Cli.Commands;

/// <summary>
/// <c>peterrec bench-pipeline --stage ingest</c>: end-to-end ingest throughput. Per run: a fresh in-process mock
/// cluster is filled with N synthetic clicks, then the timer runs from starting the Ingest role until every click's
/// batch is durable in Redis (offsets stored). Prints one JSON line with the median over the runs.
/// </summary>
public static class BenchPipelineCommand
{
    public static Command Create()
    {
        var stage = new Option<string>("--stage") { Description = "Pipeline stage to measure (ingest)", DefaultValueFactory = _ => "ingest" };
        var events = new Option<int>("--events") { Description = "Clicks per run", DefaultValueFactory = _ => 200_000 };
        var users = new Option<int>("--users") { Description = "Distinct users", DefaultValueFactory = _ => 10_000 };
        var runs = new Option<int>("--runs") { Description = "Runs; the median is reported", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Clicks topic partitions", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window-size") { Description = "Clicks kept per user", DefaultValueFactory = _ => 50 };
        var redis = new Option<string?>("--redis") { Description = "Redis HOST:PORT (default: PETERREC_TEST_REDIS, else a private redis-server)" };
        var cmd = new Command("bench-pipeline", "Measure a streaming stage end to end and print one JSON line")
        {
            stage, events, users, runs, partitions, window, redis,
        };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(stage) is { } s && s != "ingest") r.AddError("--stage: only 'ingest' is available (trainer and serving stages come with those roles)");
        });
        cmd.SetAction(async (parseResult, ct) =>
        {
            if (new[] { parseResult.GetValue(events), parseResult.GetValue(users), parseResult.GetValue(runs), parseResult.GetValue(partitions), parseResult.GetValue(window) }.Any(v => v < 1))
            {
                await Console.Error.WriteLineAsync("--events, --users, --runs, --partitions and --window-size must be >= 1");
                return 2;
            }
            var redisConfig = parseResult.GetValue(redis) ?? Environment.GetEnvironmentVariable("PETERREC_TEST_REDIS");
            using var ownRedis = string.IsNullOrWhiteSpace(redisConfig) ? LocalRedisServer.Start() : null;
            redisConfig = ownRedis?.Configuration ?? redisConfig!;
            var n = parseResult.GetValue(events);
            var u = parseResult.GetValue(users);
            var w = parseResult.GetValue(window);
            var results = new List<double>();
            var verified = true;
            for (var run = 0; run < parseResult.GetValue(runs) && !ct.IsCancellationRequested; run++)
            {
                var (rate, ok) = await RunIngestOnce(n, u, w, parseResult.GetValue(partitions), redisConfig, run, ct);
                results.Add(rate);
                verified &= ok;
                await Console.Error.WriteLineAsync($"bench-pipeline: run {run + 1}: {rate:F0} events/s, windows verified: {ok}");
            }
            var sorted = results.Order().ToList();
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["stage"] = "ingest", ["events"] = n, ["users"] = u, ["partitions"] = parseResult.GetValue(partitions), ["window"] = w,
                ["runs_events_per_s"] = results.Select(r => Math.Round(r)).ToArray(),
                ["events_per_s"] = Math.Round(sorted[sorted.Count / 2]), ["windows_verified"] = verified,
                ["processors"] = Environment.ProcessorCount,
            }));
            return verified ? 0 : 1;
        });
        return cmd;
    }

    private static async Task<(double Rate, bool Verified)> RunIngestOnce(int events, int users, int window, int partitions, string redisConfig, int seed, CancellationToken ct)
    {
        using var cluster = new MockKafkaCluster();
        var topics = new TopicOptions();
        foreach (var topic in topics.All) cluster.CreateTopic(topic, partitions);
        var clicks = SyntheticReplay.Generate(users, 50_000, Math.Max(1, events / users + 1), "rec", "u", 1_700_000_000_000, seed)
            .Where(e => e.Click is not null).Take(events).ToList();
        var perUser = clicks.GroupBy(e => e.User).ToDictionary(g => g.Key, g => Math.Min(g.Count(), window));
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
               { BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 10 }).Build())
        {
            var summary = EventReplayer.Run(producer, topics, clicks, rate: 0, maxEvents: 0, ct);
            if (summary.Failed > 0) throw new InvalidOperationException($"{summary.Failed} clicks could not be produced");
        }

        var prefix = $"bench{Guid.NewGuid():N}"[..16];
        var config = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = cluster.BootstrapServers,
            ["Redis:Configuration"] = redisConfig,
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:WindowTtlSeconds"] = "3600",
            ["Ingest:WindowSize"] = window.ToString(CultureInfo.InvariantCulture),
            ["Http:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var clock = Stopwatch.StartNew();
        await using var app = IngestHost.Build([], config);
        await app.StartAsync(ct);
        var worker = app.Services.GetRequiredService<IngestWorker>();
        while (worker.Consumer!.ProcessedRecords < events)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"ingest handled {worker.Consumer.ProcessedRecords} of {events} clicks in 5 minutes");
            await Task.Delay(2, ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var verified = await VerifyAndClean(app.Services.GetRequiredService<IConnectionMultiplexer>(), new RedisKeys(prefix), perUser);
        await app.StopAsync(ct);
        return (events / seconds, verified);
    }

    /// <summary>Every user's window has min(clicks, window) entries; then the run's keys are removed.</summary>
    private static async Task<bool> VerifyAndClean(IConnectionMultiplexer redis, RedisKeys keys, Dictionary<string, int> expected)
    {
        var db = redis.GetDatabase();
        var users = expected.Keys.ToList();
        var lengths = await Task.WhenAll(users.Select(user => db.ListLengthAsync(keys.Window(user))));
        var ok = users.Select((user, i) => lengths[i] == expected[user]).All(x => x);
        await Task.WhenAll(users.SelectMany(user => new[] { db.KeyDeleteAsync(keys.Window(user)), db.KeyDeleteAsync(keys.AppliedOffsets(user)) }));
        return ok;
    }
}
