using System.Text;
using System.Text.Json;
using PeterRec.Contracts;
using PeterRec.Model.Storage;
using PeterRec.Orchestration;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;
using PeterRec.Trainer.Online;
using StackExchange.Redis;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Pretrain;

/// <summary><c>peterrec pretrain --from-kafka</c> on the dev broker, then the backbone in service.</summary>
[Collection(StreamingCollection.Name)]
public sealed class PretrainFromKafkaTests(RedisFixture redis) : IDisposable
{
    private readonly TestKafka _kafka = new(partitions: 2);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-kafka-pretrain-{Guid.NewGuid():N}");
    private readonly string _prefix = RedisFixture.UniquePrefix();

    [Fact]
    public async Task A_backbone_pretrained_from_the_clicks_topic_skips_dead_letters_and_is_served()
    {
        // 60 users, 8 clicks each, before the split; 20 clicks after it; 3 records Ingest would dead-letter.
        var rng = new Random(2);
        var clicks = Enumerable.Range(0, 60).SelectMany(u => Enumerable.Range(0, 8).Select(i =>
            new ClickEvent($"u{u}", $"i{(u + i * 3 + rng.Next(2)) % 30}", T0 + i * 1000))).ToList();
        clicks.AddRange(Enumerable.Range(0, 20).Select(i => new ClickEvent($"u{i}", "late-item", T0 + 3_600_000)));
        await _kafka.ProduceClicksAsync(clicks);
        await _kafka.ProduceRawAsync("u1", Encoding.UTF8.GetBytes("not json"));
        await _kafka.ProduceRawAsync("u2", Encoding.UTF8.GetBytes("{\"user\":\"u2\",\"ts\":1750000000000}"));
        await _kafka.ProduceRawAsync("u3", Encoding.UTF8.GetBytes("{\"user\":\"u3\",\"item\":\"i1\",\"ts\":-5}"));

        var backbone = Path.Combine(_dir, "backbone");
        using (var pretrain = RoleProcess.Start("pretrain",
            ["pretrain", "--from-kafka", "--bootstrap-servers", _kafka.Bootstrap, "--until", $"{T0 + 60_000}", "--out", backbone,
             "--emb", "16", "--dilations", "1,2", "--epochs", "1", "--batch", "32", "--threads", "1"], _dir))
        {
            var code = await pretrain.WaitForExitAsync(TimeSpan.FromMinutes(3));
            Assert.True(code == 0, $"pretrain exited {code}:\n{pretrain.Tail(30)}");
        }
        var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(backbone, "pretrain_report.json"))).RootElement;
        var events = report.GetProperty("events");
        Assert.Equal(60, events.GetProperty("users").GetInt32());
        Assert.Equal(480, events.GetProperty("events").GetInt64());
        Assert.Equal("kafka://peterrec.clicks", events.GetProperty("clicks").GetProperty("file").GetString());
        Assert.Equal(3, events.GetProperty("clicks").GetProperty("bad_rows").GetInt64());
        Assert.Equal(20, events.GetProperty("clicks").GetProperty("outside_split").GetInt64());
        Assert.DoesNotContain("late-item", await File.ReadAllTextAsync(Path.Combine(backbone, ModelStore.SourceVocabFile)));

        // Serving loads it: a version trained over it validates against it and scores a user's window.
        using var learner = OnlineLearner.Create(new LearnerSettings { Task = "rec", MaxTargets = 20, Device = "cpu" }, backbone);
        learner.Learn([.. Enumerable.Range(0, 64).Select(i => new LabeledExample(learner.EncodeSource([$"i{i % 30}", $"i{(i + 3) % 30}"]), $"t{i % 10}"))]);
        var keys = new RedisKeys(_prefix);
        var db = redis.Connection.GetDatabase();
        await db.StringSetAsync(keys.Version("rec", 1), learner.NextVersion());
        await db.StringSetAsync(keys.LatestVersion("rec"), 1);
        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix), backbone, ["rec"], pollMs: 200);
        try
        {
            await WriteWindowAsync(db, keys, "u7", ["i1", "i4", "i7"], T0);
            await OnlineRuns.ProduceAsync(_kafka, _kafka.Topics.ChangedUsers, [("u7", new ChangedUser("u7", T0 + 2).ToJson())]);
            RedisValue recs = default;
            await Eventually.Async(async () => !(recs = await db.StringGetAsync(keys.Recs("u7", "rec"))).IsNull, TimeSpan.FromSeconds(20), () => "no recs for u7");
            var value = RecsValue.Parse((byte[])recs!);
            Assert.Equal(1, value.Version);
            Assert.Equal(5, value.Items.Count);
        }
        finally
        {
            await serving.StopAndDisposeAsync();
        }
    }

    public void Dispose()
    {
        _kafka.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
