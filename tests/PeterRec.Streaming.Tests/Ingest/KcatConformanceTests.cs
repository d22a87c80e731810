using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;
using PeterRec.Trainer.Hosting;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Ingest;

/// <summary>
/// Clicks and task events written by a Kafka client that is not ours (Debian's <c>kcat</c>, installed by .ci/run)
/// become the same windows, versions and recommendations as our producer's, and kcat's poison is dead-lettered once
/// each with its reason, read back with kcat.
/// </summary>
[Collection(StreamingCollection.Name)]
public sealed class KcatConformanceTests(RedisFixture redis)
{
    private const long T0 = 1_700_000_000_000;

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Click(string user, string item, long ts) => new ClickEvent(user, item, ts).ToJson();

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Clicks_and_poison_from_kcat_become_the_same_windows_and_one_dead_letter_each_with_its_reason(string protocol)
    {
        using var kafka = new TestKafka(partitions: 1);
        var prefix = RedisFixture.UniquePrefix();
        // (key or null for none, value, expected dead-letter reason or null for a good click), in partition order.
        var records = new List<(byte[]? Key, byte[] Value, string? Reason)>();
        string[] users = ["plain", "a{b}", "}{", "50%off", "%s%n%d", "ünï", "nokey", "badkey"];
        for (var i = 0; i < 3; i++)
            foreach (var user in users)
            {
                byte[]? key = user switch { "nokey" => null, "badkey" => [0xff, 0xfe, 0x00], _ => U(user) };
                records.Add((key, Click(user, $"i{i}", T0 + i), null));
            }
        records.Add((U("x"), U("{not json"), "malformed_json"));
        records.Add((U("x"), U($$"""{"user":"big","item":"{{new string('i', 1024 * 1024)}}","ts":{{T0}}}"""), "invalid_string")); // 1 MiB
        records.Add((null, U("""{"user":"nokey-poison","item":"i"}"""), "missing_field"));
        records.Add(([0xc3, 0x28], [0xff, 0xfe, 0x7b, 0x7d], "malformed_json"));                                    // non-UTF-8 key and value
        records.Add((U("nl"), U($$"""{"user":"a\nb","item":"i","ts":{{T0}}}"""), "invalid_string"));             // escaped newline in an id
        records.Add((U("nl"), U($"{{\"user\":\"a\nb\",\"item\":\"i\",\"ts\":{T0}}}"), "malformed_json"));         // raw newline in JSON
        records.Add((U("%{}"), U($$"""{"user":"x%{}","item":"\u0007","ts":{{T0}}}"""), "invalid_string"));        // control character

        await Kcat.ProduceAsync(kafka.Bootstrap, kafka.Topics.Clicks, records.Select(r => (r.Key, r.Value)), partition: 0);

        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol);
        await ingest.WaitForProcessedAsync(records.Count, TimeSpan.FromSeconds(60));

        var store = new WindowStore(redis.Connection, new RedisKeys(prefix));
        foreach (var user in users)
            Assert.Equal(["i0", "i1", "i2"], (await store.ReadAsync(user)).Select(e => e.Item));

        var poison = records.Select((r, offset) => (Partition: 0, Offset: (long)offset, r.Reason)).Where(r => r.Reason is not null).ToList();
        var dead = await Kcat.DeadLettersAsync(kafka.Bootstrap, kafka.Topics.DeadLetter);
        Assert.Equal(poison.Count, dead.Count);
        Kcat.AssertOneEach(dead, kafka.Topics.Clicks, [.. poison.Select(p => (p.Partition, p.Offset, p.Reason!))]);
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Clicks_and_task_events_from_kcat_train_a_version_and_get_every_user_recommendations(string protocol)
    {
        using var kafka = new TestKafka(partitions: 2);
        using var backbone = new TinyBackbone();
        var prefix = RedisFixture.UniquePrefix();
        var checkpoints = Path.Combine(Path.GetTempPath(), $"peterrec-kcat-{Guid.NewGuid():N}");
        var keys = new RedisKeys(prefix);
        var db = redis.Connection.GetDatabase();
        var rng = new Random(7);
        string[] users = [.. Enumerable.Range(0, 30).Select(u => $"u{u}"), "a{b}", "}{", "50%off", "ünï"];
        // Each user's clicks, partitioned by kcat's own partitioner on the user key.
        var windows = users.ToDictionary(u => u, _ => Enumerable.Range(0, rng.Next(3, 9)).Select(_ => TinyBackbone.Item(rng.Next(TinyBackbone.SourceItems))).ToList());
        var clicks = windows.SelectMany(w => w.Value.Select((item, i) => (Key: (byte[]?)U(w.Key), Value: Click(w.Key, item, T0 + i)))).ToList();
        await Kcat.ProduceAsync(kafka.Bootstrap, kafka.Topics.Clicks, clicks);

        // Task events, labelled by the last click (learnable), with poison among them; one partition, so offsets are known.
        var events = new List<(byte[]? Key, byte[] Value, string? Reason)>();
        for (var i = 0; i < 400; i++)
        {
            var user = users[rng.Next(users.Length)];
            byte[]? key = (i % 7) switch { 0 => null, 1 => [0xff, 0xfe, 0x00], _ => U(user) }; // the trainer reads the user from the value
            events.Add((key, new TaskEvent(user, "rec", SyntheticTaskStream.Label(windows[user][^1], 10), T0 + 1000).ToJson(), null));
            if (i % 50 != 25) continue;
            events.Add(Poison(i / 50));
        }
        var valid = events.Count(e => e.Reason is null);

        var serving = await StartServingAsync(Base(kafka.Bootstrap, redis.Configuration, prefix, protocol), backbone.Dir, ["rec"], pollMs: 200);
        var trainerConfig = Base(kafka.Bootstrap, redis.Configuration, prefix, protocol);
        trainerConfig["Trainer:PublishEverySteps"] = "4";
        var trainer = await StartTrainerAsync(trainerConfig, backbone.Dir, checkpoints);
        try
        {
            await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol);
            await ingest.WaitForProcessedAsync(clicks.Count, TimeSpan.FromSeconds(60));
            // Windows first: an event whose user has no click yet would be skipped (no history), not trained.
            await Kcat.ProduceAsync(kafka.Bootstrap, kafka.Topics.TaskEvents, events.Select(e => (e.Key, e.Value)), partition: 0);

            var consumer = trainer.Services.GetRequiredService<TrainerWorker>().Consumer!;
            var learner = trainer.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(consumer.ProcessedRecords >= events.Count && learner.TrainedEvents >= valid), TimeSpan.FromSeconds(90),
                () => $"trainer handled {consumer.ProcessedRecords} of {events.Count} records, trained {learner.TrainedEvents}; last error: {consumer.LastError}");
            Assert.Equal(valid, learner.TrainedEvents); // no valid event lost, none trained twice, no poison trained
            await Eventually.Async(async () => learner.Version >= 1 && (long)await db.StringGetAsync(keys.LatestVersion("rec")) == learner.Version,
                TimeSpan.FromSeconds(30), () => $"trainer at v{learner.Version}, Redis at v{db.StringGet(keys.LatestVersion("rec"))}");
            var latest = learner.Version;
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec")?.Version == latest), TimeSpan.FromSeconds(30),
                () => $"serving has v{serving.Versions().Current("rec")?.Version}, latest v{latest}");

            // One more click each from kcat: Ingest announces the changed users, Serving writes their recs.
            var last = users.Select((u, i) => new ClickEvent(u, TinyBackbone.Item(i % TinyBackbone.SourceItems), T0 + 2000 + i)).ToList();
            await Kcat.ProduceAsync(kafka.Bootstrap, kafka.Topics.Clicks, last.Select(c => ((byte[]?)U(c.User), c.ToJson())));
            var recs = new Dictionary<string, RecsValue>();
            await Eventually.Async(async () =>
            {
                foreach (var c in last)
                {
                    var v = await db.StringGetAsync(keys.Recs(c.User, "rec"));
                    if (v.IsNull || RecsValue.Parse((byte[])v!) is not { } r || r.ClickTs != c.Ts) return false;
                    recs[c.User] = r;
                }
                return true;
            }, TimeSpan.FromSeconds(60), () => $"recs for the last clicks written for {recs.Count} of {users.Length} users");
            var labels = learner.Targets.Labels;
            foreach (var (user, r) in recs)
            {
                Assert.Equal((latest, 5), (r.Version, r.Items.Count));
                Assert.All(r.Items, item => Assert.Contains(item.Id, labels));
                Assert.True(r.Items.Zip(r.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score), $"{user}'s recs are not ranked");
            }

            var poison = events.Select((e, offset) => (Partition: 0, Offset: (long)offset, e.Reason)).Where(e => e.Reason is not null).ToList();
            Kcat.AssertOneEach(await Kcat.DeadLettersAsync(kafka.Bootstrap, kafka.Topics.DeadLetter), kafka.Topics.TaskEvents,
                [.. poison.Select(p => (p.Partition, p.Offset, p.Reason!))]);
        }
        finally
        {
            await trainer.StopAndDisposeAsync();
            await serving.StopAndDisposeAsync();
            if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        }
    }

    /// <summary>The trainer's share of kcat's poison: one of each kind, by index.</summary>
    private static (byte[]? Key, byte[] Value, string Reason) Poison(int kind) => kind switch
    {
        0 => (U("x"), U("{\"user\":"), "malformed_json"),
        1 => (U("x"), U($$"""{"user":"u0","task":"rec","label":"{{new string('l', 1024 * 1024)}}","ts":{{T0 + 1000}}}"""), "invalid_string"), // 1 MiB
        2 => (null, U($$"""{"user":"u0","task":"rec","ts":{{T0 + 1000}}}"""), "missing_field"),
        3 => ([0xc3, 0x28], [0xff, 0xfe, 0x7b, 0x7d], "malformed_json"),                                                  // non-UTF-8 key and value
        4 => (U("nl"), U($$"""{"user":"a\nb","task":"rec","label":"t0","ts":{{T0 + 1000}}}"""), "invalid_string"),      // escaped newline in an id
        5 => (U("nl"), U($"{{\"user\":\"a\nb\",\"task\":\"rec\",\"label\":\"t0\",\"ts\":{T0 + 1000}}}"), "malformed_json"), // raw newline in JSON
        6 => (U("%{}"), U($$"""{"user":"x%{}","task":"rec","label":"\u0007","ts":{{T0 + 1000}}}"""), "invalid_string"), // control character
        _ => (U("x"), U("""{"user":"u0","task":"rec","label":"t0","ts":1700000000}"""), "ts_out_of_range"),           // seconds, not ms
    };
}
