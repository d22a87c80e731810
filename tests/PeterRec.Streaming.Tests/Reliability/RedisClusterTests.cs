using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;
using PeterRec.Trainer.Leasing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>
/// The streaming main paths on a Redis Cluster (3 masters + 3 replicas): Ingest's window script over many users per
/// call, the trainer's lease and publish scripts, Serving's recs. A script that touched two slots would fail with
/// CROSSSLOT; a user's windows written wrong or a missing recommendation would show here.
/// </summary>
[Collection(RedisClusterCollection.Name)]
public sealed class RedisClusterTests(RedisClusterFixture redis) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 2);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"peterrec-cluster-ckpt-{Guid.NewGuid():N}");
    private RedisKeys Keys => new(_prefix);
    private IDatabase Db => redis.Connection.GetDatabase();

    [Fact]
    public async Task Ingest_windows_trainer_versions_and_serving_recs_work_on_a_redis_cluster_with_users_spread_over_every_master()
    {
        const int users = 300, windowSize = 6;
        var rng = new Random(4);
        var clicks = Enumerable.Range(0, users * 8)
            .Select(i => new ClickEvent($"u{i % users}", TinyBackbone.Item(rng.Next(TinyBackbone.SourceItems)), T0 + i)).ToList();
        var ids = Enumerable.Range(0, users).Select(u => $"u{u}").ToList();
        var slots = ids.Select(u => redis.Connection.HashSlot(Keys.Window(u))).ToHashSet();
        Assert.True(slots.Count > 200, $"users fall in {slots.Count} slots");
        var config = Base(_kafka.Bootstrap, redis.Configuration, _prefix);
        await using var ingest = await IngestRun.StartAsync(_kafka.Bootstrap, redis.Configuration, _prefix, windowSize);
        await _kafka.ProduceClicksAsync(clicks);
        await ingest.WaitForProcessedAsync(clicks.Count, TimeSpan.FromSeconds(60));

        var store = new WindowStore(redis.Connection, Keys);
        var windows = await store.ReadManyAsync(ids);
        for (var u = 0; u < users; u++)
        {
            var want = clicks.Where(c => c.User == ids[u]).TakeLast(windowSize).Select(c => (c.Item, c.Ts));
            Assert.Equal(want, windows[u].Select(e => (e.Item, e.Ts)));
        }

        var trainer = await StartTrainerAsync(config, _backbone.Dir, _checkpoints);
        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix), _backbone.Dir, ["rec"], pollMs: 200);
        try
        {
            Assert.Equal(LeaseState.Held, trainer.Services.GetRequiredService<TaskLease>().State);
            var events = ids.Select((u, i) => new TaskEvent(u, "rec", SyntheticTaskStream.Label(windows[i][^1].Item, 10), T0 + clicks.Count)).ToList();
            await ProduceAsync(_kafka, _kafka.Topics.TaskEvents, events.Concat(events).Select(e => (e.User, e.ToJson())));
            var learner = trainer.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 2 * users), TimeSpan.FromSeconds(60), () => $"trained {learner.TrainedEvents}");
            await Eventually.Async(async () => learner.Version >= 1 && (long)await Db.StringGetAsync(Keys.LatestVersion("rec")) == learner.Version,
                TimeSpan.FromSeconds(30), () => $"trainer at v{learner.Version}");
            var latest = learner.Version;
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec")?.Version == latest), TimeSpan.FromSeconds(30),
                () => $"serving has v{serving.Versions().Current("rec")?.Version}, latest v{latest}");

            // One more click each: Ingest announces the changed users, Serving writes their recs.
            var last = ids.Select((u, i) => new ClickEvent(u, TinyBackbone.Item(i % TinyBackbone.SourceItems), T0 + clicks.Count + 10 + i)).ToList();
            await _kafka.ProduceClicksAsync(last);
            await Eventually.Async(async () =>
            {
                foreach (var c in last)
                {
                    var v = await Db.StringGetAsync(Keys.Recs(c.User, "rec"));
                    if (v.IsNull || RecsValue.Parse((byte[])v!).ClickTs != c.Ts) return false;
                }
                return true;
            }, TimeSpan.FromSeconds(60), () => "recs missing for some users");
            var one = RecsValue.Parse((byte[])(await Db.StringGetAsync(Keys.Recs("u7", "rec")))!);
            Assert.Equal((latest, 5), (one.Version, one.Items.Count));
        }
        finally
        {
            await serving.StopAndDisposeAsync();
            await trainer.StopAndDisposeAsync();
        }
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
        if (Directory.Exists(_checkpoints)) Directory.Delete(_checkpoints, recursive: true);
    }
}
