using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Serving.Hosting;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Trainer.Online;
using StackExchange.Redis;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Online;

[Collection(StreamingCollection.Name)]
public sealed class OnlineRolesTests(RedisFixture redis) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 2);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"peterrec-online-{Guid.NewGuid():N}");
    private RedisKeys Keys => new(_prefix);
    private IDatabase Db => redis.Connection.GetDatabase();

    private Task<List<TaskEvent>> SyntheticEventsAsync(int users, int events, int targets, int seed) =>
        OnlineRuns.SyntheticEventsAsync(Db, Keys, users, events, targets, seed);

    private Task ProduceEventsAsync(IEnumerable<TaskEvent> events) =>
        ProduceAsync(_kafka, _kafka.Topics.TaskEvents, events.Select(e => (e.User, e.ToJson())));

    /// <summary>All into partition 0, so the trainer sees them in the order generated: with the users split over two
    /// partitions, how the partitions' fetches interleave decided which users (and labels) came first, and with it how
    /// far the whole-stream metric lagged the recent window.</summary>
    private Task ProduceEventsInOrderAsync(IEnumerable<TaskEvent> events) =>
        Task.WhenAll(events.Select(e => _kafka.Producer.ProduceAsync(new Confluent.Kafka.TopicPartition(_kafka.Topics.TaskEvents, 0),
            new Confluent.Kafka.Message<string, byte[]> { Key = e.User, Value = e.ToJson() })));

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Trainer_publishes_advancing_versions_that_serving_swaps_in_from_announcements_while_the_prequential_metric_rises(string protocol)
    {
        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, ["rec"], pollMs: 3_600_000);
        var trainer = await StartTrainerAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, _checkpoints);
        try
        {
            var events = await SyntheticEventsAsync(users: 300, events: 3000, targets: 30, seed: 5);
            await ProduceEventsInOrderAsync(events);
            var learner = trainer.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 3000), TimeSpan.FromSeconds(90), () => $"trained {learner.TrainedEvents}");
            // The last batch's version may still be on its way to Redis (blob, then pointer, then trim): wait for it.
            await Eventually.Async(async () => (long)await Db.StringGetAsync(Keys.LatestVersion("rec")) == learner.Version, TimeSpan.FromSeconds(20),
                () => $"trainer at v{learner.Version}");
            var latest = (long)await Db.StringGetAsync(Keys.LatestVersion("rec"));
            Assert.True(latest >= 5, $"latest version {latest}");
            // Only announcements can tell this server (its poll is an hour): it must follow the trainer.
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec")?.Version == latest), TimeSpan.FromSeconds(20),
                () => $"serving has v{serving.Versions().Current("rec")?.Version}, latest v{latest}");
            var w = learner.Meter.Window;
            Assert.True(w.Hr > 0.6, $"prequential HR@5 over the last {w.Count} events is {w.Hr:F3} (chance ~0.17)");
            Assert.True(learner.Meter.Total.Hr < w.Hr - 0.1, $"total HR@5 {learner.Meter.Total.Hr:F3} should lag the recent window {w.Hr:F3}");
            // Trimmed: only the last KeepVersions (5) versions stay.
            Assert.False(await Db.KeyExistsAsync(Keys.Version("rec", latest - 5)));
            Assert.True(await Db.KeyExistsAsync(Keys.Version("rec", latest - 4)));
        }
        finally
        {
            await trainer.StopAndDisposeAsync();
            await serving.StopAndDisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Steps_trained_after_the_last_version_are_published_once_the_stream_goes_quiet(string protocol)
    {
        var config = Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol);
        config["Trainer:PublishEverySteps"] = "1000000";   // only the time rule can publish
        config["Trainer:PublishEverySeconds"] = "6";  // longer than start-up plus the one batch
        var trainer = await StartTrainerAsync(config, _backbone.Dir, _checkpoints);
        try
        {
            var events = await SyntheticEventsAsync(users: 20, events: 64, targets: 5, seed: 3);
            await ProduceEventsAsync(events);
            var learner = trainer.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 64), TimeSpan.FromSeconds(30), () => $"trained {learner.TrainedEvents}");
            // No further batch arrives; the idle timer must publish what was trained.
            await Eventually.Async(async () => (long)await Db.StringGetAsync(Keys.LatestVersion("rec")) >= 1, TimeSpan.FromSeconds(15),
                () => $"latest {Db.StringGet(Keys.LatestVersion("rec"))}, step {learner.Step}");
            Assert.Equal(learner.Version, (long)await Db.StringGetAsync(Keys.LatestVersion("rec")));
        }
        finally
        {
            await trainer.StopAndDisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Trainer_restart_resumes_from_checkpoint_and_committed_offsets_without_losing_or_retraining_events(string protocol)
    {
        var events = await SyntheticEventsAsync(users: 50, events: 1000, targets: 10, seed: 9);
        var trainer = await StartTrainerAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, _checkpoints);
        long stepBefore, versionBefore;
        try
        {
            await ProduceEventsAsync(events.Take(600));
            var learner = trainer.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 600), TimeSpan.FromSeconds(60), () => $"trained {learner.TrainedEvents}");
            (stepBefore, versionBefore) = (learner.Step, learner.Version);
            Assert.True(versionBefore >= 1);
        }
        finally
        {
            await trainer.StopAndDisposeAsync();
        }
        var restarted = await StartTrainerAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, _checkpoints);
        try
        {
            var learner = restarted.Trainer().Learner!;
            // Nothing new is on the topic yet: this is the checkpointed state.
            Assert.Equal((stepBefore, versionBefore, 600L), (learner.Step, learner.Version, learner.TrainedEvents));
            await ProduceEventsAsync(events.Skip(600));
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 1000), TimeSpan.FromSeconds(60), () => $"trained {learner.TrainedEvents}");
            await Task.Delay(500); // anything redelivered twice would show up now
            Assert.Equal(1000, learner.TrainedEvents);
            Assert.True(learner.Step > stepBefore);
            Assert.True(learner.Version >= versionBefore);
            await Eventually.Async(async () => (long)await Db.StringGetAsync(Keys.LatestVersion("rec")) == learner.Version, TimeSpan.FromSeconds(20),
                () => $"trainer at v{learner.Version}, Redis at v{Db.StringGet(Keys.LatestVersion("rec"))}");
        }
        finally
        {
            await restarted.StopAndDisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Serving_writes_recs_for_changed_users_follows_a_version_swap_and_keeps_the_last_good_version_over_a_corrupt_one(string protocol)
    {
        var rec = OnlineLearner.Create(new LearnerSettings { Task = "rec", MaxTargets = 40, Device = "cpu", LearningRate = 3e-2 }, _backbone.Dir);
        var cls = OnlineLearner.Create(new LearnerSettings { Task = "cls", Kind = "cls", MaxTargets = 3, Classes = ["a", "b", "c"], Device = "cpu" }, _backbone.Dir);
        var stream = new SyntheticTaskStream(30);
        void Train(OnlineLearner l, Func<string, string> label) =>
            l.Learn([.. Enumerable.Range(0, 128).Select(_ => stream.Next()).Select(e => new LabeledExample(l.EncodeSource(e.Window), label(e.Label)))]);
        async Task Publish(string task, long version, byte[] blob)
        {
            await Db.StringSetAsync(Keys.Version(task, version), blob);
            await Db.StringSetAsync(Keys.LatestVersion(task), version);
        }
        Train(rec, l => l);
        Train(cls, l => ((char)('a' + int.Parse(l[1..]) % 3)).ToString());
        await Publish("rec", 1, rec.NextVersion());
        await Publish("cls", 1, cls.NextVersion());

        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, ["rec", "cls"], pollMs: 100);
        try
        {
            var users = Enumerable.Range(0, 40).Select(i => $"user-{i}").ToList();
            foreach (var u in users) await WriteWindowAsync(Db, Keys, u, ["s1", "s5", $"s{u.Length}", "never-seen-item"], T0);
            async Task<Dictionary<string, RecsValue>> ServeRound(long clickTs, long expectVersion)
            {
                await ProduceAsync(_kafka, _kafka.Topics.ChangedUsers, users.Select(u => (u, new ChangedUser(u, clickTs).ToJson())));
                var result = new Dictionary<string, RecsValue>();
                await Eventually.Async(async () =>
                {
                    foreach (var u in users)
                    {
                        var v = await Db.StringGetAsync(Keys.Recs(u, "rec"));
                        if (v.IsNull) return false;
                        var recs = RecsValue.Parse((byte[])v!);
                        if (recs.ClickTs != clickTs) return false;
                        result[u] = recs;
                    }
                    return true;
                }, TimeSpan.FromSeconds(20), () => $"recs for round {clickTs} not all written");
                Assert.All(result.Values, r => Assert.Equal(expectVersion, r.Version));
                return result;
            }

            var first = await ServeRound(T0 + 10, expectVersion: 1);
            var one = first["user-3"];
            Assert.Equal(5, one.Items.Count);
            Assert.All(one.Items, i => Assert.Contains(i.Id, rec.Targets.Labels));
            Assert.True(one.Items.Zip(one.Items.Skip(1)).All(p => p.First.Score >= p.Second.Score));
            var cls1 = RecsValue.Parse((byte[])(await Db.StringGetAsync(Keys.Recs("user-3", "cls")))!);
            Assert.Equal((1L, 3), (cls1.Version, cls1.Items.Count));
            var rep = await Db.StringGetAsync(Keys.Rep("user-3", "rec"));
            Assert.Contains("\"rep\":[", (string?)rep);
            Assert.InRange((await Db.KeyTimeToLiveAsync(Keys.Recs("user-3", "rec")))!.Value.TotalSeconds, 1, 600);

            // A newer patch mid-stream: later rounds are served with it.
            Train(rec, l => l);
            await Publish("rec", 2, rec.NextVersion());
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec")?.Version == 2));
            await ServeRound(T0 + 20, expectVersion: 2);

            // A corrupt version 3 is refused; version 2 stays in service and keeps being written.
            var bad = rec.NextVersion();
            bad[bad.Length / 2] ^= 0xFF;
            var refused = new TaskCompletionSource<string>();
            serving.Versions().Refused += (task, version, reason) => refused.TrySetResult($"{task} v{version}: {reason}");
            await Publish("rec", 3, bad);
            var why = await refused.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Contains("checksum", why);
            await ServeRound(T0 + 30, expectVersion: 2);
            Assert.Equal(2, serving.Versions().Current("rec")!.Version);

            // A truncated version 4 as well.
            await Publish("rec", 4, rec.NextVersion()[..200]);
            await Task.Delay(400);
            Assert.Equal(2, serving.Versions().Current("rec")!.Version);
        }
        finally
        {
            await serving.StopAndDisposeAsync();
            rec.Dispose();
            cls.Dispose();
        }
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
        if (Directory.Exists(_checkpoints)) Directory.Delete(_checkpoints, recursive: true);
    }
}
