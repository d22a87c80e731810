using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.DevBroker;
using PeterRec.Serving.Hosting;
using PeterRec.Serving.Scoring;
using PeterRec.Trainer.Hosting;
using PeterRec.Trainer.Online;
using PeterRec.Trainer.Publishing;
using StackExchange.Redis;

namespace PeterRec.Bench;

/// <summary>
/// <c>bench-pipeline --stage serve</c>: Serving throughput. N users get a window of clicks in Redis and the task a
/// published version (a learner trained briefly on random labels, published the Trainer's way); with Serving up and it
/// loaded, N changed-user announcements are produced and the timer runs until every one is handled (recommendations
/// written and acknowledged, offsets stored). Every user's recommendations are then checked to exist.
/// </summary>
internal static class ServeStage
{
    public static async Task<(double UsersPerSecond, bool Verified)> RunOnceAsync(string backbone, int users, int window, int partitions,
        int threads, string redisConfig, int seed, CancellationToken ct)
    {
        using var cluster = new MockKafkaCluster();
        var topics = new TopicOptions();
        foreach (var topic in topics.All) cluster.CreateTopic(topic, partitions);
        var prefix = $"bench{Guid.NewGuid():N}"[..16];
        var keys = new RedisKeys(prefix);
        using var redis = await ConnectionMultiplexer.ConnectAsync(redisConfig);
        var db = redis.GetDatabase();
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, users).Select(i => $"u{i}").ToList();

        using (var learner = OnlineLearner.Create(new LearnerSettings { Task = "rec", Device = "cpu", Seed = seed }, backbone))
        {
            var vocab = learner.SourceVocab;
            string Item() => vocab.Token(2 + rng.Next(vocab.Count - 2));
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await Task.WhenAll(ids.Select(u => db.ListRightPushAsync(keys.Window(u),
                [.. Enumerable.Range(0, window).Select(i => (RedisValue)new WindowEntry(Item(), now - window + i).Encode())])));
            learner.Learn([.. Enumerable.Range(0, 512).Select(_ => new LabeledExample(learner.EncodeSource(Enumerable.Range(0, 10).Select(_ => Item())), $"t{rng.Next(200)}"))]);
            var trainer = new TrainerOptions();
            using var publisher = new VersionPublisher(redis, keys, new VersionRetention(trainer.KeepVersions, trainer.PatchTtlSeconds), Options.Create(topics),
                new KafkaClientConfigs(Options.Create(new KafkaOptions { BootstrapServers = cluster.BootstrapServers })), KafkaClientFactory.Instance,
                "peterrec-bench", NullLogger<VersionPublisher>.Instance);
            await publisher.PublishAsync("rec", 1, learner.NextVersion(), fencingToken: 0, ct);
        }

        var config = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = cluster.BootstrapServers, ["Redis:Configuration"] = redisConfig, ["Redis:KeyPrefix"] = prefix,
            ["Redis:RecsTtlSeconds"] = "3600", ["Serving:BackboneDir"] = backbone, ["Serving:Tasks:0"] = "rec", ["Serving:Device"] = "cpu",
            ["Serving:Threads"] = threads.ToString(CultureInfo.InvariantCulture), ["Http:Port"] = "0", ["Logging:LogLevel:Default"] = "Warning",
        };
        await using var app = ServingHost.Build([], config);
        await app.StartAsync(ct);
        var versions = app.Services.GetRequiredService<VersionRegistry>();
        var worker = app.Services.GetRequiredService<ServingWorker>();
        var wait = Stopwatch.StartNew();
        while (versions.Current("rec") is null || worker.Consumer is null)
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("serving did not load the version within 60 s");
            await Task.Delay(20, ct);
        }

        var clock = Stopwatch.StartNew();
        using (var producer = KafkaClientFactory.Instance.CreateProducer(new ProducerConfig
               { BootstrapServers = cluster.BootstrapServers, Acks = Acks.All, LingerMs = 5 }))
        {
            var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var u in ids) producer.Produce(topics.ChangedUsers, new Message<string, byte[]> { Key = u, Value = new ChangedUser(u, ts).ToJson() });
            producer.Flush(ct);
        }
        while (worker.Consumer.ProcessedRecords < users)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(5)) throw new TimeoutException($"serving handled {worker.Consumer.ProcessedRecords} of {users} users in 5 minutes");
            await Task.Delay(2, ct);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var written = await Task.WhenAll(ids.Select(u => db.KeyExistsAsync(keys.Recs(u, "rec"))));
        await app.StopAsync(ct);
        await Task.WhenAll(ids.SelectMany(u => new[] { db.KeyDeleteAsync(keys.Window(u)), db.KeyDeleteAsync(keys.Recs(u, "rec")), db.KeyDeleteAsync(keys.Rep(u, "rec")) }));
        await db.KeyDeleteAsync([keys.Version("rec", 1), keys.LatestVersion("rec")]);
        return (users / seconds, written.All(x => x));
    }
}
