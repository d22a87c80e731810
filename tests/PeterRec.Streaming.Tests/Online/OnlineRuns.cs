using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Serving.Hosting;
using PeterRec.Serving.Scoring;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Trainer.Hosting;
using StackExchange.Redis;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>In-process Trainer and Serving roles over real TCP to the mock cluster and Redis, plus stream helpers.</summary>
public static class OnlineRuns
{
    public static Dictionary<string, string?> Base(string bootstrap, string redis, string prefix, string protocol = "classic") => new(GroupProtocols.Settings(protocol))
    {
        ["Kafka:BootstrapServers"] = bootstrap,
        ["Redis:Configuration"] = redis,
        ["Redis:KeyPrefix"] = prefix,
        ["Redis:RecsTtlSeconds"] = "600",
        ["Http:Port"] = "0",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    public static async Task<WebApplication> StartTrainerAsync(Dictionary<string, string?> config, string backbone, string checkpoints, string task = "rec")
    {
        config["Trainer:BackboneDir"] = backbone;
        config["Trainer:CheckpointDir"] = checkpoints;
        config["Trainer:Task"] = task;
        config["Trainer:Device"] = "cpu";
        config["Trainer:MicroBatch"] = "32";
        config["Trainer:LearningRate"] = "0.03";
        config["Trainer:MaxTargets"] = "100";
        config["Trainer:BatchEvents"] = "256";
        config["Trainer:BatchDelayMs"] = "100";
        config.TryAdd("Trainer:PublishEverySteps", "10");
        // Versions by step count only unless a test asks for the time rule: an idle-timer publish between a test's
        // reads of the trainer's version and Redis's latest pointer would race with its assertions.
        config.TryAdd("Trainer:PublishEverySeconds", "3600");
        config.TryAdd("Trainer:HoldoutEvery", "0");
        var app = TrainerHost.Build([], config);
        await app.StartAsync();
        return app;
    }

    public static async Task<WebApplication> StartServingAsync(Dictionary<string, string?> config, string backbone, string[] tasks, int pollMs)
    {
        config["Serving:BackboneDir"] = backbone;
        config["Serving:Device"] = "cpu";
        config["Serving:TopN"] = "5";
        config["Serving:PatchPollMs"] = pollMs.ToString();
        for (int i = 0; i < tasks.Length; i++) config[$"Serving:Tasks:{i}"] = tasks[i];
        var app = ServingHost.Build([], config);
        await app.StartAsync();
        return app;
    }

    public static TaskEventHandler Trainer(this WebApplication app) => app.Services.GetRequiredService<TaskEventHandler>();

    public static VersionRegistry Versions(this WebApplication app) => app.Services.GetRequiredService<VersionRegistry>();

    /// <summary>Stops the role and disposes it, so its Kafka clients, threads and model go with it.</summary>
    /// <remarks>Not named <c>StopAsync</c>: WebApplication's own <c>StopAsync(CancellationToken = default)</c> wins over an
    /// extension of that name, so such an extension never ran, and every role a test stopped stayed alive (its producers
    /// retrying a disposed broker) until the test process ended.</remarks>
    public static async Task StopAndDisposeAsync(this WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    /// <summary>Writes a user's click window the way Ingest does (oldest first, "ts:item").</summary>
    public static Task WriteWindowAsync(IDatabase db, RedisKeys keys, string user, IReadOnlyList<string> items, long firstTs)
    {
        var key = keys.Window(user);
        return Task.WhenAll(
            db.KeyDeleteAsync(key),
            db.ListRightPushAsync(key, [.. items.Select((item, i) => (RedisValue)new WindowEntry(item, firstTs + i).Encode())]));
    }

    /// <summary>Users u0..u{n-1} get random windows; each event's label is the task function of the window's last item.</summary>
    public static async Task<List<TaskEvent>> SyntheticEventsAsync(IDatabase db, RedisKeys keys, int users, int events, int targets, int seed)
    {
        var rng = new Random(seed);
        var labels = new Dictionary<string, string>();
        for (int u = 0; u < users; u++)
        {
            var items = Enumerable.Range(0, rng.Next(3, 9)).Select(_ => TinyBackbone.Item(rng.Next(TinyBackbone.SourceItems))).ToList();
            await WriteWindowAsync(db, keys, $"u{u}", items, T0);
            labels[$"u{u}"] = SyntheticTaskStream.Label(items[^1], targets);
        }
        return [.. Enumerable.Range(0, events).Select(i => rng.Next(users)).Select(u => new TaskEvent($"u{u}", "rec", labels[$"u{u}"], T0 + 1000))];
    }

    public static Task ProduceAsync(TestKafka kafka, string topic, IEnumerable<(string Key, byte[] Value)> records) =>
        Task.WhenAll(records.Select(r => kafka.Producer.ProduceAsync(topic, new Message<string, byte[]> { Key = r.Key, Value = r.Value })));

    public const long T0 = 1_750_000_000_000;
}
