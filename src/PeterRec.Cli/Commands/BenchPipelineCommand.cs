using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Cli.Orchestration;
using PeterRec.Cli.Produce;
using PeterRec.Common.Contracts;
using PeterRec.Common.Redis;
using PeterRec.DevBroker;
using PeterRec.Ingest.Hosting;
using StackExchange.Redis;

namespace PeterRec.Cli.Commands;

/// <summary>
/// <c>peterrec bench-pipeline --stage ingest|serve|freshness</c>; serve and freshness: see <see cref="BenchServeStage"/>
/// and <see cref="BenchFreshnessStage"/>. Ingest: end-to-end ingest throughput. Per run: a fresh in-process mock
/// cluster is filled with N synthetic clicks, then the timer runs from starting the Ingest role until every click's
/// batch is durable in Redis (offsets stored). Prints one JSON line with the median over the runs.
/// </summary>
public static class BenchPipelineCommand
{
    public static Command Create()
    {
        var stage = new Option<string>("--stage") { Description = "ingest (events/s into Redis), serve (users/s), freshness (click -> recs at --rate)", DefaultValueFactory = _ => "ingest" };
        var rate = new Option<double>("--rate") { Description = "freshness: offered events/s", DefaultValueFactory = _ => 2000 };
        var backbone = new Option<string?>("--backbone") { Description = "serve, freshness: backbone directory (default: the one `peterrec run` pretrained)" };
        var threads = new Option<int>("--threads") { Description = "serve: libtorch threads of Serving", DefaultValueFactory = _ => 1 };
        var events = new Option<int>("--events") { Description = "Clicks per run", DefaultValueFactory = _ => 200_000 };
        var users = new Option<int>("--users") { Description = "Distinct users", DefaultValueFactory = _ => 10_000 };
        var runs = new Option<int>("--runs") { Description = "Runs; the median is reported", DefaultValueFactory = _ => 3 };
        var partitions = new Option<int>("--partitions") { Description = "Clicks topic partitions", DefaultValueFactory = _ => 4 };
        var window = new Option<int>("--window-size") { Description = "Clicks kept per user", DefaultValueFactory = _ => 50 };
        var redis = new Option<string?>("--redis") { Description = "Redis HOST:PORT (default: PETERREC_TEST_REDIS, else a private redis-server)" };
        var cmd = new Command("bench-pipeline", "Measure a streaming stage end to end and print one JSON line")
        {
            stage, events, users, runs, partitions, window, redis, rate, backbone, threads,
        };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(stage) is { } s && s is not ("ingest" or "serve" or "freshness")) r.AddError($"--stage '{s}': expected ingest, serve or freshness");
            // Unspecified options read as 0 here (defaults apply later): only an explicit rate is checked.
            if (r.GetResult(rate) is { Implicit: false } && r.GetValue(rate) <= 0) r.AddError("--rate must be > 0");
        });
        cmd.SetAction(async (parseResult, ct) =>
        {
            if (new[] { parseResult.GetValue(events), parseResult.GetValue(users), parseResult.GetValue(runs), parseResult.GetValue(partitions), parseResult.GetValue(window) }.Any(v => v < 1))
            {
                await Console.Error.WriteLineAsync("--events, --users, --runs, --partitions and --window-size must be >= 1");
                return 2;
            }
            if (parseResult.GetValue(stage) == "freshness")
            {
                try
                {
                    var result = await BenchFreshnessStage.RunAsync(parseResult.GetValue(rate), parseResult.GetValue(backbone),
                        parseResult.GetValue(redis), 
                        // --users is the stream's user count here only when given; the default suits the ingest stage.
                        parseResult.GetResult(users) is { Implicit: false } ? parseResult.GetValue(users) : new RunSettings().StreamUsers, ct);
                    Console.WriteLine(JsonSerializer.Serialize(result));
                    return result["drained"] is true ? 0 : 1;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or TimeoutException)
                {
                    await Console.Error.WriteLineAsync($"bench-pipeline: {e.Message}");
                    return 2;
                }
            }
            var redisConfig = parseResult.GetValue(redis) ?? Environment.GetEnvironmentVariable("PETERREC_TEST_REDIS");
            using var ownRedis = string.IsNullOrWhiteSpace(redisConfig) ? LocalRedisServer.Start() : null;
            redisConfig = ownRedis?.Configuration ?? redisConfig!;
            var n = parseResult.GetValue(events);
            var u = parseResult.GetValue(users);
            var w = parseResult.GetValue(window);
            var results = new List<double>();
            var verified = true;
            var serve = parseResult.GetValue(stage) == "serve";
            var serveBackbone = parseResult.GetValue(backbone) ?? ".peterrec/run/backbone";
            if (serve && !File.Exists(Path.Combine(serveBackbone, "config.json")))
            {
                await Console.Error.WriteLineAsync($"bench-pipeline: no backbone at {serveBackbone}; run `peterrec run` once or pass --backbone DIR");
                return 2;
            }
            for (var run = 0; run < parseResult.GetValue(runs) && !ct.IsCancellationRequested; run++)
            {
                var (perSecond, ok) = serve
                    ? await BenchServeStage.RunOnceAsync(serveBackbone, u, w, parseResult.GetValue(partitions), parseResult.GetValue(threads), redisConfig, run, ct)
                    : await RunIngestOnce(n, u, w, parseResult.GetValue(partitions), redisConfig, run, ct);
                results.Add(perSecond);
                verified &= ok;
                await Console.Error.WriteLineAsync($"bench-pipeline: run {run + 1}: {perSecond:F0} {(serve ? "users" : "events")}/s, verified: {ok}");
            }
            var sorted = results.Order().ToList();
            if (serve)
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["stage"] = "serve", ["users"] = u, ["window"] = w, ["threads"] = parseResult.GetValue(threads),
                    ["runs_users_per_s"] = results.Select(r => Math.Round(r)).ToArray(), ["users_per_s"] = Math.Round(sorted[sorted.Count / 2]),
                    ["recs_verified"] = verified, ["processors"] = Environment.ProcessorCount,
                }));
                return verified ? 0 : 1;
            }
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
