using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Serving.Hosting;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Trainer.Online;
using StackExchange.Redis;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>Users Serving owes recommendations without a new click: before a task's first version, and on a new version.</summary>
[Collection(StreamingCollection.Name)]
public sealed class ServingBacklogTests(RedisFixture redis) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 2);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    private RedisKeys Keys => new(_prefix);
    private IDatabase Db => redis.Connection.GetDatabase();
    private static readonly List<string> Users = [.. Enumerable.Range(0, 20).Select(i => $"user-{i}")];

    private OnlineLearner TrainedLearner()
    {
        var learner = OnlineLearner.Create(new LearnerSettings { Task = "rec", MaxTargets = 40, Device = "cpu", LearningRate = 3e-2 }, _backbone.Dir);
        var stream = new SyntheticTaskStream(30);
        learner.Learn([.. Enumerable.Range(0, 64).Select(_ => stream.Next()).Select(e => new LabeledExample(learner.EncodeSource(e.Window), e.Label))]);
        return learner;
    }

    private async Task PublishAsync(long version, byte[] blob)
    {
        await Db.StringSetAsync(Keys.Version("rec", version), blob);
        await Db.StringSetAsync(Keys.LatestVersion("rec"), version);
    }

    private async Task AnnounceAsync(long clickTs)
    {
        foreach (var u in Users) await WriteWindowAsync(Db, Keys, u, ["s1", "s5", $"s{u.Length}"], clickTs - 2);
        await ProduceAsync(_kafka, _kafka.Topics.ChangedUsers, Users.Select(u => (u, new ChangedUser(u, clickTs).ToJson())));
    }

    private async Task<RecsValue?> RecsAsync(string user)
    {
        var v = await Db.StringGetAsync(Keys.Recs(user, "rec"));
        return v.IsNull ? null : RecsValue.Parse((byte[])v!);
    }

    private Task AllRecsAsync(Func<RecsValue, bool> ok, string what) =>
        Eventually.Async(async () =>
        {
            foreach (var u in Users)
                if (await RecsAsync(u) is not { } r || !ok(r)) return false;
            return true;
        }, TimeSpan.FromSeconds(30), () => $"not every user has recs {what}");

    private static Task ProcessedAsync(Microsoft.AspNetCore.Builder.WebApplication serving, long records) =>
        Eventually.Async(() => Task.FromResult(serving.Services.GetRequiredService<ServingWorker>().Consumer!.ProcessedRecords >= records),
            TimeSpan.FromSeconds(30), () => "serving did not handle the announcements");

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Users_announced_before_the_first_version_are_scored_when_it_arrives_even_after_a_serving_restart(string protocol)
    {
        using var learner = TrainedLearner();
        var first = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, ["rec"], pollMs: 100);
        try
        {
            await AnnounceAsync(T0 + 100);
            await ProcessedAsync(first, Users.Count);
            Assert.Null(await RecsAsync(Users[0]));
        }
        finally
        {
            await first.StopAndDisposeAsync();
        }
        // The announcements' offsets are committed: only the pending set can bring these users back.
        var second = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol), _backbone.Dir, ["rec"], pollMs: 100);
        try
        {
            await PublishAsync(1, learner.NextVersion());
            await AllRecsAsync(r => r.Version == 1 && r.ClickTs == T0 + 100 && r.Items.Count == 5 && r.Cause == RecsValue.Causes.FirstVersion,
                "of version 1 covering the announced click, written because the first version arrived");
            await Eventually.Async(async () => await Db.SortedSetLengthAsync(Keys.PendingUsers("rec")) == 0, TimeSpan.FromSeconds(10),
                () => "the pending set was not emptied");
        }
        finally
        {
            await second.StopAndDisposeAsync();
        }
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_new_version_rescores_users_active_within_the_horizon_without_a_new_click_and_leaves_older_ones(string protocol)
    {
        using var learner = TrainedLearner();
        await PublishAsync(1, learner.NextVersion());
        var config = Base(_kafka.Bootstrap, redis.Configuration, _prefix, protocol);
        config["Serving:RescoreHorizonSeconds"] = "600";
        var serving = await StartServingAsync(config, _backbone.Dir, ["rec"], pollMs: 100);
        try
        {
            await Eventually.Async(() => Task.FromResult(serving.Versions().Current("rec") is not null));
            await AnnounceAsync(T0 + 100);
            await AllRecsAsync(r => r.Version == 1 && r.Cause == RecsValue.Causes.Click, "of version 1, written for the click");
            // One user was last scored before the horizon: it must keep version 1 (nothing re-scores it).
            var idle = Users[^1];
            await Db.SortedSetAddAsync(Keys.ActiveUsers("rec"), idle, DateTimeOffset.UtcNow.AddSeconds(-601).ToUnixTimeMilliseconds());

            learner.Learn([.. Enumerable.Range(0, 32).Select(i => new LabeledExample(learner.EncodeSource(["s1", $"s{i}"]), "t1"))]);
            await PublishAsync(2, learner.NextVersion());
            var active = Users[..^1];
            await Eventually.Async(async () =>
            {
                foreach (var u in active)
                    if (await RecsAsync(u) is not { Version: 2 }) return false;
                return true;
            }, TimeSpan.FromSeconds(30), () => "active users were not re-scored with version 2");
            var again = await RecsAsync(active[0]);
            Assert.Equal(T0 + 100, again!.ClickTs); // the window's newest click, not the time of the re-score
            Assert.Equal(RecsValue.Causes.Rescore, again.Cause); // so freshness probes do not count it as a click answered
            Assert.Equal(1, (await RecsAsync(idle))!.Version);
        }
        finally
        {
            await serving.StopAndDisposeAsync();
        }
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
    }
}
