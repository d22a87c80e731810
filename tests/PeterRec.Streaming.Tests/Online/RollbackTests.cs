using PeterRec.Contracts;
using PeterRec.Model.Storage;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Trainer.Online;
using PeterRec.Trainer.Publishing;
using StackExchange.Redis;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Online;

/// <summary><c>peterrec patch rollback</c> under a running Trainer and Serving.</summary>
[Collection(StreamingCollection.Name)]
public sealed class RollbackTests(RedisFixture redis) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 1);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"peterrec-rollback-{Guid.NewGuid():N}");
    private RedisKeys Keys => new(_prefix);
    private IDatabase Db => redis.Connection.GetDatabase();

    private async Task ProduceAsync(int users, int events, int seed)
    {
        var stream = await SyntheticEventsAsync(Db, Keys, users, events, targets: 10, seed);
        await OnlineRuns.ProduceAsync(_kafka, _kafka.Topics.TaskEvents, stream.Select(e => (e.User, e.ToJson())));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_rollback_is_served_under_a_new_higher_number_and_the_trainer_continues_from_its_weights(string protocol)
    {
        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, ["rec"], pollMs: 200);
        var config = Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol);
        config["Trainer:PublishEverySteps"] = "5";
        var trainer = await StartTrainerAsync(config, _backbone.Dir, _checkpoints);
        try
        {
            var learner = trainer.Trainer().Learner!;
            await ProduceAsync(users: 40, events: 480, seed: 4);
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 480), TimeSpan.FromSeconds(60), () => $"trained {learner.TrainedEvents}");
            await Eventually.Async(async () => (long)await Db.StringGetAsync(Keys.LatestVersion("rec")) == learner.Version, TimeSpan.FromSeconds(20),
                () => $"trainer at v{learner.Version}");
            var history = new VersionHistory(redis.Connection, Keys);
            var held = await history.ListAsync("rec");
            var before = held[0].Version;
            Assert.True(before >= 2, $"latest v{before}");
            Assert.Equal(Enumerable.Range(1, (int)before).Reverse().Select(v => (long)v), held.Select(h => h.Version));
            Assert.All(held, h => Assert.Equal("hr_5", h.Manifest.Prequential!.Metric));
            Assert.Equal("no_baseline", held[^1].Manifest.Gate!.Reason);

            var (v1, v1Tensors) = PublishedVersion.Read((byte[])(await Db.StringGetAsync(Keys.Version("rec", 1)))!, "v1");
            var result = await history.RollbackAsync("rec", to: 1);
            Assert.Equal(before + 1, result.Version);

            // Serving: the new number, v1's weights and labels.
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec")?.Version == result.Version), TimeSpan.FromSeconds(20),
                () => $"serving has v{serving.Versions().Current("rec")?.Version}");
            var served = serving.Versions().Current("rec")!;
            Assert.Equal(1, served.Manifest.RollbackOf);
            Assert.Equal(v1.Labels, served.Labels);
            var v1Head = v1Tensors.Single(t => t.Name == ParameterNames.TaskName("target_embedding")).AsFloats();
            Assert.Equal(v1Head[..served.Head.Length], served.Head);

            // Trainer: notices on its idle tick (no new events), takes v1's weights, checkpoints.
            await Eventually.Async(() => Task.FromResult(learner.RolledBackTo == result.Version), TimeSpan.FromSeconds(20),
                () => $"trainer rolled back to {learner.RolledBackTo}");
            Assert.Equal(result.Version, learner.Version);
            Assert.Equal(v1.Labels, learner.Targets.Labels);
            var state = ModelStore.TaskEntries(learner.Model).ToDictionary(e => e.Name, e => e.AsFloats());
            foreach (var t in v1Tensors) Assert.Equal(t.AsFloats(), state[t.Name]);
            // The checkpoint follows (written right after the weights are taken).
            using var reloaded = OnlineLearner.Create(learner.Settings, _backbone.Dir);
            await Eventually.Async(() => Task.FromResult(LearnerCheckpoint.Load(trainer.Trainer().CheckpointPath, reloaded).RolledBackTo == result.Version),
                TimeSpan.FromSeconds(20), () => "the checkpoint does not record the rollback");
            Assert.Equal(result.Version, reloaded.Version);

            // Training goes on from there: the next version is above the rollback and serving follows it.
            var step = learner.Step;
            await ProduceAsync(users: 40, events: 320, seed: 8);
            await Eventually.Async(() => Task.FromResult(learner.Version > result.Version), TimeSpan.FromSeconds(60), () => $"trainer at v{learner.Version}, step {learner.Step}");
            Assert.True(learner.Step > step);
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec")?.Version > result.Version), TimeSpan.FromSeconds(20),
                () => $"serving has v{serving.Versions().Current("rec")?.Version}");
            Assert.Null(serving.Versions().Current("rec")!.Manifest.RollbackOf);
        }
        finally
        {
            await trainer.StopAndDisposeAsync();
            await serving.StopAndDisposeAsync();
        }
    }

    [Fact]
    public async Task Rolling_back_to_a_version_redis_does_not_hold_is_refused_naming_it()
    {
        var history = new VersionHistory(redis.Connection, Keys);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => history.RollbackAsync("rec", to: 7));
        Assert.Contains("no version 7", e.Message);
        Assert.False(await Db.KeyExistsAsync(Keys.LatestVersion("rec")));
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
        if (Directory.Exists(_checkpoints)) Directory.Delete(_checkpoints, recursive: true);
    }
}
