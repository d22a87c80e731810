using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Ingest.Hosting;
using PeterRec.Kafka;
using PeterRec.Producers;
using StackExchange.Redis;

namespace PeterRec.Bench;

/// <summary>
/// <c>bench-pipeline --stage ingest</c>: end-to-end ingest throughput. Per run: a fresh in-process mock cluster is
/// filled with N synthetic clicks, then the timer runs from starting the Ingest role until every click's batch is
/// durable in Redis (offsets stored); every user's window is then checked.
/// </summary>
internal static class IngestStage
{
    public static async Task<(double Rate, bool Verified)> RunOnceAsync(int events, int users, int window, int partitions, string redisConfig, int seed, CancellationToken ct)
    {
        using var cluster = new MockKafkaCluster();
        var topics = new TopicOptions();
        foreach (var topic in topics.All) cluster.CreateTopic(topic, partitions);
        var clicks = SyntheticReplay.Generate(users, 50_000, Math.Max(1, events / users + 1), "rec", "u", 1_700_000_000_000, seed)
            .Where(e => e.Click is not null).Take(events).ToList();
        var perUser = clicks.GroupBy(e => e.User).ToDictionary(g => g.Key, g => Math.Min(g.Count(), window));
        using (var producer = KafkaClientFactory.Instance.CreateProducer(new ProducerConfig
               { BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 10 }))
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
