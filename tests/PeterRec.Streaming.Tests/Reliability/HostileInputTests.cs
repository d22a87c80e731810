using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>Poison records on every topic: each goes to the dead-letter topic with its reason or follows a documented rule, and the stream goes on.</summary>
[Collection(StreamingCollection.Name)]
public sealed class HostileInputTests(RedisFixture redis) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 1);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"peterrec-hostile-{Guid.NewGuid():N}");

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private async Task<long> ProduceAsync(string topic, string key, byte[] value) =>
        (await _kafka.Producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = value })).Offset.Value;

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Poison_records_on_every_topic_are_dead_lettered_with_their_reason_counted_and_good_records_still_flow(string protocol)
    {
        var counted = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (i.Name is "peterrec.dead_letters" or "peterrec.ingest.dead_letters") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            foreach (var t in tags) if (t.Key == "reason") counted.AddOrUpdate((string)t.Value!, v, (_, c) => c + v);
        });
        listener.Start();

        var topics = _kafka.Topics;
        var expected = new Dictionary<(string Topic, long Offset), string>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var t0 = now - 60_000;
        async Task Bad(string topic, string key, byte[] value, string reason) => expected[(topic, await ProduceAsync(topic, key, value))] = reason;

        // Clicks: five good users, one duplicate record, one unknown item; then every kind of poison.
        for (int u = 0; u < 5; u++)
            for (int i = 0; i < 3; i++) await ProduceAsync(topics.Clicks, $"g{u}", new ClickEvent($"g{u}", TinyBackbone.Item(u * 3 + i), t0 + i).ToJson());
        var dup = new ClickEvent("g0", TinyBackbone.Item(9), t0 + 5).ToJson();
        await ProduceAsync(topics.Clicks, "g0", dup);
        await ProduceAsync(topics.Clicks, "g0", dup);
        await ProduceAsync(topics.Clicks, "g1", new ClickEvent("g1", "never-seen-item", t0 + 5).ToJson());
        await Bad(topics.Clicks, "x", U("{not json"), "malformed_json");
        await Bad(topics.Clicks, "x", U("[1,2]"), "wrong_type");
        await Bad(topics.Clicks, "x", U($$"""{"user":"x","item":7,"ts":{{t0}}}"""), "wrong_type");
        await Bad(topics.Clicks, "x", U($$"""{"user":"x","item":"i","ts":"{{t0}}"}"""), "wrong_type");
        await Bad(topics.Clicks, "x", U("""{"user":"x","item":"i"}"""), "missing_field");
        await Bad(topics.Clicks, "x", U($$"""{"user":"x","item":"{{new string('i', 10_000)}}","ts":{{t0}}}"""), "invalid_string");
        await Bad(topics.Clicks, "x", U($$"""{"user":"{{new string('u', 200_000)}}","item":"i","ts":{{t0}}}"""), "invalid_string");
        await Bad(topics.Clicks, "x", U($$"""{"user":"a\u0000b","item":"i","ts":{{t0}}}"""), "invalid_string");
        await Bad(topics.Clicks, "x", U("""{"user":"x","item":"i","ts":1700000000}"""), "ts_out_of_range");           // seconds
        await Bad(topics.Clicks, "x", U($$"""{"user":"x","item":"i","ts":{{now + 10L * 86_400_000}}}"""), "ts_out_of_range"); // 10 days ahead

        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, ["rec"], pollMs: 200);
        var trainerConfig = Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol);
        trainerConfig["Trainer:PublishEverySteps"] = "1";
        var trainer = await StartTrainerAsync(trainerConfig, _backbone.Dir, _checkpoints);
        await using var ingest = await IngestRun.StartAsync(_kafka.Bootstrap, redis.Configuration, _prefix, windowSize: 10, protocol: protocol);
        try
        {
            await ingest.WaitForProcessedAsync(15 + 3 + 10);
            var store = new WindowStore(redis.Connection, new RedisKeys(_prefix));
            // Rule: a click is identified by its position; two records are two clicks (producers use idempotence).
            Assert.Equal([TinyBackbone.Item(0), TinyBackbone.Item(1), TinyBackbone.Item(2), TinyBackbone.Item(9), TinyBackbone.Item(9)],
                (await store.ReadAsync("g0")).Select(e => e.Item));
            Assert.Equal("never-seen-item", (await store.ReadAsync("g1"))[^1].Item); // unknown items are kept; scoring maps them to <unk>

            // Task events: good ones, other tasks and unknown users (documented rules), poison.
            for (int u = 0; u < 5; u++) await ProduceAsync(topics.TaskEvents, $"g{u}", new TaskEvent($"g{u}", "rec", $"t{u % 2}", t0 + 100).ToJson());
            await ProduceAsync(topics.TaskEvents, "g0", new TaskEvent("g0", "another-task", "x", t0 + 100).ToJson()); // ignored, counted other_task
            await ProduceAsync(topics.TaskEvents, "nobody", new TaskEvent("nobody", "rec", "t0", t0 + 100).ToJson()); // no history: skipped, counted
            await Bad(topics.TaskEvents, "x", U("{\"user\":"), "malformed_json");
            await Bad(topics.TaskEvents, "x", U($$"""{"user":"g0","task":"rec","ts":{{t0}}}"""), "missing_field");
            await Bad(topics.TaskEvents, "x", U($$"""{"user":"g0","task":"rec","label":"{{new string('l', 129)}}","ts":{{t0}}}"""), "invalid_string");
            await Bad(topics.TaskEvents, "x", U("""{"user":"g0","task":"rec","label":"t0","ts":7258118400000}"""), "ts_out_of_range");
            await Bad(topics.TaskEvents, "x", U("""{"user":"g0","task":"rec","label":"t0","ts":1.5}"""), "wrong_type");
            var learner = trainer.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents == 5 && learner.Version >= 1), TimeSpan.FromSeconds(30),
                () => $"trained {learner.TrainedEvents}, version {learner.Version}");
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec") is not null), TimeSpan.FromSeconds(20), () => "serving has no patch");

            // Changed users: poison, an unknown user (no window: nothing written), and a good one.
            await Bad(topics.ChangedUsers, "x", U("garbage"), "malformed_json");
            await Bad(topics.ChangedUsers, "x", U("""{"user":"g0"}"""), "missing_field");
            await Bad(topics.ChangedUsers, "x", U($$"""{"user":"{{new string('u', 300)}}","ts":{{t0}}}"""), "invalid_string");
            await Bad(topics.ChangedUsers, "x", U("""{"user":"g0","ts":-5}"""), "ts_out_of_range");
            await ProduceAsync(topics.ChangedUsers, "ghost", new ChangedUser("ghost", t0).ToJson());
            await ProduceAsync(topics.ChangedUsers, "g2", new ChangedUser("g2", t0 + 2).ToJson());
            var keys = new RedisKeys(_prefix);
            var db = redis.Connection.GetDatabase();
            await Eventually.Async(async () => await db.KeyExistsAsync(keys.Recs("g2", "rec")), TimeSpan.FromSeconds(20), () => "no recs for g2");
            Assert.False(await db.KeyExistsAsync(keys.Recs("ghost", "rec")));

            var dead = _kafka.ReadTopic(topics.DeadLetter, expected.Count + 1, TimeSpan.FromSeconds(expected.Count + 5 > 30 ? 30 : 10));
            var received = dead.ToDictionary(
                d => (DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.SourceTopic)!, long.Parse(DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.Offset)!)),
                d => DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.Reason)!);
            Assert.Equal(expected.Keys.OrderBy(k => k), received.Keys.OrderBy(k => k));
            foreach (var (at, reason) in expected) Assert.StartsWith(reason + ": ", received[at]);
            var huge = dead.Single(d => DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.OriginalSize) is not null);
            Assert.Equal(DeadLetterHeaders.MaxValueBytes, huge.Message.Value.Length);
            foreach (var g in expected.Values.GroupBy(r => r)) Assert.Equal(g.Count(), counted.GetValueOrDefault(g.Key));
        }
        finally
        {
            await trainer.StopAndDisposeAsync();
            await serving.StopAndDisposeAsync();
        }
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
        try { Directory.Delete(_checkpoints, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
