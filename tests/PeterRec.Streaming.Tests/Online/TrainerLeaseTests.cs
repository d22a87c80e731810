using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PeterRec.Contracts;
using PeterRec.Model.Storage;
using PeterRec.Redis;
using PeterRec.Serving.Scoring;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Trainer.Leasing;
using PeterRec.Trainer.Online;
using PeterRec.Trainer.Publishing;
using StackExchange.Redis;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>One trainer per task: the lease, its fencing token, and what the publish script and serving do with it.</summary>
[Collection(StreamingCollection.Name)]
public sealed class TrainerLeaseTests(RedisFixture redis) : IDisposable
{
    private const int LeaseMs = 3000, RenewMs = 300;
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 2);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    // One checkpoint directory for both: the shared volume a replacement pod mounts.
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"peterrec-lease-{Guid.NewGuid():N}");
    private RedisKeys Keys => new(_prefix);
    private IDatabase Db => redis.Connection.GetDatabase();

    private Dictionary<string, string?> Config(string protocol)
    {
        var c = Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol);
        c["Trainer:LeaseMs"] = LeaseMs.ToString();
        c["Trainer:LeaseRenewMs"] = RenewMs.ToString();
        return c;
    }

    private async Task ProduceEventsAsync(int users, int events, int seed)
    {
        var batch = await SyntheticEventsAsync(Db, Keys, users, events, targets: 10, seed);
        await ProduceAsync(_kafka, _kafka.Topics.TaskEvents, batch.Select(e => (e.User, e.ToJson())));
    }

    private async Task<long> LatestAsync() => (long)await Db.StringGetAsync(Keys.LatestVersion("rec"));

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Of_two_trainers_for_one_task_only_the_lease_holder_publishes_and_the_follower_takes_over_within_the_lease_time_when_the_holder_dies(string protocol)
    {
        var leader = await StartTrainerAsync(Config(protocol), _backbone.Dir, _checkpoints);
        var follower = await StartTrainerAsync(Config(protocol), _backbone.Dir, _checkpoints);
        var leaderLease = leader.Services.GetRequiredService<TaskLease>();
        var followerLease = follower.Services.GetRequiredService<TaskLease>();
        var pointer = new ConcurrentQueue<long>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested) { pointer.Enqueue(await LatestAsync()); await Task.Delay(20); }
        });
        var leaderDead = false;
        try
        {
            Assert.Equal((LeaseState.Held, LeaseState.Waiting), (leaderLease.State, followerLease.State));
            // The follower loads nothing and consumes nothing: it would split the task's partitions with the holder.
            Assert.Null(follower.Trainer().Learner);

            await ProduceEventsAsync(users: 40, events: 600, seed: 1);
            var led = leader.Trainer().Learner!;
            await Eventually.Async(() => Task.FromResult(led.TrainedEvents >= 600), TimeSpan.FromSeconds(60), () => $"leader trained {led.TrainedEvents}");
            await Eventually.Async(async () => await LatestAsync() == led.Version, TimeSpan.FromSeconds(20), () => $"leader at v{led.Version}");
            var leaderVersion = led.Version;
            Assert.True(leaderVersion >= 1, $"leader published v{leaderVersion}");
            Assert.Equal(LeaseState.Waiting, followerLease.State);
            Assert.Null(follower.Trainer().Learner);

            // Killed: no stop, no release; to Redis the leader just stops renewing.
            var leaderToken = leaderLease.Token;
            var clock = Stopwatch.StartNew();
            await leader.DisposeAsync();
            leaderDead = true;
            await Eventually.Async(() => Task.FromResult(followerLease.IsHeld), TimeSpan.FromSeconds(60), () => $"follower lease {followerLease.State}");
            var takeover = clock.Elapsed;
            // The lease lasts LeaseMs after the last renewal and the follower tries every RenewMs; the rest is slack for a loaded machine.
            Assert.True(takeover < TimeSpan.FromMilliseconds(LeaseMs + RenewMs) + TimeSpan.FromSeconds(10), $"takeover after {takeover.TotalSeconds:F1} s");
            Assert.True(followerLease.Token > leaderToken, $"follower token {followerLease.Token}, leader token {leaderToken}");

            await Eventually.Async(() => Task.FromResult(follower.Trainer().Learner is not null), TimeSpan.FromSeconds(30), () => "follower never loaded the model");
            var learner = follower.Trainer().Learner!;
            await ProduceEventsAsync(users: 40, events: 600, seed: 2);
            await Eventually.Async(() => Task.FromResult(learner.TrainedEvents >= 1200), TimeSpan.FromSeconds(60), () => $"follower trained {learner.TrainedEvents}");
            await Eventually.Async(async () => await LatestAsync() == learner.Version && learner.Version > leaderVersion, TimeSpan.FromSeconds(20),
                () => $"follower at v{learner.Version}, latest {Db.StringGet(Keys.LatestVersion("rec"))}");
            var (manifest, _) = PublishedVersion.Read((byte[])(await Db.StringGetAsync(Keys.Version("rec", learner.Version)))!, "latest");
            Assert.Equal(followerLease.Token, manifest.FencingToken);

            // The dead leader's token is fenced off: a late publish from it writes nothing.
            using var stale = ActivatorUtilities.CreateInstance<VersionPublisher>(follower.Services, new VersionRetention(5, 0), "stale");
            await Assert.ThrowsAsync<FencedOffException>(() => stale.PublishAsync("rec", learner.Version + 1, [1, 2, 3], leaderToken, CancellationToken.None));
            Assert.False(await Db.KeyExistsAsync(Keys.Version("rec", learner.Version + 1)));
            Assert.Equal(learner.Version, await LatestAsync());

            // One publisher at a time: every announcement of the old token comes before every one of the new, and versions never go back.
            var notes = _kafka.ReadTopic(_kafka.Topics.Patches, int.MaxValue, TimeSpan.FromSeconds(5))
                .Select(r => VersionAnnouncement.Parse(r.Message.Value).Value!).ToList();
            Assert.Contains(notes, n => n.Token == leaderToken);
            Assert.Contains(notes, n => n.Token == followerLease.Token);
            Assert.All(notes, n => Assert.Contains(n.Token, new[] { leaderToken, followerLease.Token }));
            Assert.True(notes.Zip(notes.Skip(1)).All(p => p.First.Token <= p.Second.Token && p.First.Version <= p.Second.Version),
                string.Join(", ", notes.Select(n => $"v{n.Version}/t{n.Token}")));
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
            if (!leaderDead) await leader.StopAndDisposeAsync();
            await follower.StopAndDisposeAsync();
        }
        var seen = pointer.ToList();
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First <= p.Second), "the latest pointer went back: " + string.Join(",", seen.Distinct()));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_stopped_trainer_releases_its_lease_so_the_next_one_starts_at_once_with_a_higher_token(string protocol)
    {
        var first = await StartTrainerAsync(Config(protocol), _backbone.Dir, _checkpoints);
        var token = first.Services.GetRequiredService<TaskLease>().Token;
        await first.StopAndDisposeAsync();
        Assert.False(await Db.KeyExistsAsync(Keys.Lease("rec")));
        var second = await StartTrainerAsync(Config(protocol), _backbone.Dir, _checkpoints);
        try
        {
            var lease = second.Services.GetRequiredService<TaskLease>();
            Assert.Equal(LeaseState.Held, lease.State);
            Assert.True(lease.Token > token);
            Assert.NotNull(second.Trainer().Learner);
        }
        finally
        {
            await second.StopAndDisposeAsync();
        }
    }

    [Fact]
    public async Task A_holder_whose_lease_was_taken_loses_it_at_the_next_renewal()
    {
        var keys = Keys;
        var timing = new LeaseTiming(TimeSpan.FromMilliseconds(LeaseMs), TimeSpan.FromMilliseconds(RenewMs));
        await using var holder = new TaskLease(redis.Connection, keys, "rec", timing, NullLogger<TaskLease>.Instance);
        Assert.True(await holder.TryAcquireAsync());
        // A pause longer than the lease, as Redis sees it: the key expired and another trainer took the task.
        await Db.KeyDeleteAsync(keys.Lease("rec"));
        await using var other = new TaskLease(redis.Connection, keys, "rec", timing, NullLogger<TaskLease>.Instance);
        Assert.True(await other.TryAcquireAsync());
        await Eventually.Async(() => Task.FromResult(holder.LostToken.IsCancellationRequested), TimeSpan.FromSeconds(20), () => $"holder {holder.State}");
        Assert.Equal(LeaseState.Lost, holder.State);
        Assert.True(other.Token > holder.Token);
        Assert.Equal(other.Owner, (string?)await Db.StringGetAsync(keys.Lease("rec")));
    }

    [Fact]
    public void Serving_refuses_a_version_from_an_older_fencing_token_than_one_it_installed_even_with_a_higher_version_number()
    {
        using var backbone = new ServingBackbone(_backbone.Dir, 0, "cpu");
        var registry = new VersionRegistry(backbone, redis.Connection, Keys, NullLogger<VersionRegistry>.Instance);
        using var learner = OnlineLearner.Create(new LearnerSettings { Task = "rec", MaxTargets = 20, Device = "cpu" }, _backbone.Dir);
        learner.Version = 4;
        Assert.True(registry.Install("rec", learner.ExportVersion(fencingToken: 7), "v4/t7"));
        learner.Version = 9;
        var why = Assert.Throws<InvalidDataException>(() => registry.Install("rec", learner.ExportVersion(fencingToken: 6), "v9/t6")).Message;
        Assert.Contains("fencing token 6 is older than 7", why);
        Assert.Equal(4, registry.Current("rec")!.Version);
        Assert.True(registry.Install("rec", learner.ExportVersion(fencingToken: 8), "v9/t8"));
        Assert.Equal((9L, 8L), (registry.Current("rec")!.Version, registry.Current("rec")!.Manifest.FencingToken));
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
        if (Directory.Exists(_checkpoints)) Directory.Delete(_checkpoints, recursive: true);
    }
}
