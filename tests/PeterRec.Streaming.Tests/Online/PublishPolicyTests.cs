using PeterRec.Trainer.Online;
using static TorchSharp.torch;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>When versions are raised, gated and retried: the publish policy beside the learner, without Kafka or Redis.</summary>
public sealed class PublishPolicyTests : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly SyntheticTaskStream _stream = new(10);
    private readonly ManualClock _clock = new();

    private OnlineLearner Learner(int holdoutEvery = 0) => OnlineLearner.Create(new LearnerSettings
    {
        Task = "rec", MaxTargets = 50, MicroBatch = 32, LearningRate = 3e-2, Device = "cpu",
        HoldoutEvery = holdoutEvery, HoldoutSize = 200, HoldoutMinEvents = 50, PublishMargin = 0.05,
    }, _backbone.Dir);

    private void Steps(OnlineLearner learner, int steps) =>
        learner.Learn([.. Enumerable.Range(0, 32 * steps).Select(_ => _stream.Next()).Select(e => new LabeledExample(learner.EncodeSource(e.Window), e.Label))]);

    [Fact]
    public void A_version_is_raised_once_the_step_rule_fires_and_stays_pending_until_published()
    {
        using var learner = Learner();
        var policy = new PublishPolicy(learner, new PublishRules(EverySteps: 3, EverySeconds: 3600), _clock);
        Steps(learner, 2);
        Assert.Null(policy.AfterBatch());
        Assert.Equal(0, learner.Version);

        Steps(learner, 1);
        Assert.Equal("no_baseline", policy.AfterBatch()!.Reason);
        Assert.Equal((1L, true), (learner.Version, policy.HasPending));

        policy.Published();
        Assert.Equal((1L, false), (policy.PublishedVersion, policy.HasPending));
        Assert.Null(policy.AfterBatch()); // nothing trained since
    }

    [Fact]
    public void A_failed_publish_keeps_its_version_pending_and_no_other_is_raised_until_it_is_published()
    {
        using var learner = Learner();
        var policy = new PublishPolicy(learner, new PublishRules(EverySteps: 1, EverySeconds: 3600), _clock);
        Steps(learner, 1);
        Assert.NotNull(policy.AfterBatch());
        // The publish failed (Published is not called); training goes on.
        Steps(learner, 3);
        Assert.Null(policy.AfterBatch());
        Assert.Null(policy.WhenIdle());
        Assert.Equal((1L, true), (learner.Version, policy.HasPending));
        policy.Published();
        Steps(learner, 1);
        Assert.True(policy.AfterBatch()!.Publish);
        Assert.Equal(2, learner.Version);
    }

    [Fact]
    public void The_time_rule_versions_the_last_steps_of_a_quiet_stream_on_an_idle_tick()
    {
        using var learner = Learner();
        var policy = new PublishPolicy(learner, new PublishRules(EverySteps: 1000, EverySeconds: 30), _clock);
        Steps(learner, 2);
        Assert.Null(policy.AfterBatch());
        Assert.Null(policy.WhenIdle());
        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.True(policy.WhenIdle()!.Publish);
        Assert.Equal(1, learner.Version);
    }

    [Fact]
    public void A_candidate_worse_on_the_held_back_slice_is_withheld_unversioned_and_checked_again_only_a_whole_interval_later()
    {
        using var learner = Learner(holdoutEvery: 4);
        var policy = new PublishPolicy(learner, new PublishRules(EverySteps: 1, EverySeconds: 3600), _clock);
        Steps(learner, 8);
        Assert.True(policy.AfterBatch()!.Publish);
        policy.Published();
        using (no_grad())
        {
            // Scramble the head's rows for the labels in use: a clearly worse candidate.
            var used = learner.Targets.Count;
            var rows = learner.Model.TargetWeight.narrow(0, 0, used).clone();
            learner.Model.TargetWeight.narrow(0, 0, used).copy_(rows.index_select(0, arange(used - 1, -1, -1, ScalarType.Int64)));
        }
        Steps(learner, 1);
        var verdict = policy.AfterBatch()!;
        Assert.Equal("worse_on_holdout", verdict.Reason);
        Assert.Equal((1L, false), (learner.Version, policy.HasPending));
        Assert.Null(policy.AfterBatch()); // no new step since the withheld check
    }

    [Fact]
    public void On_resume_a_checkpointed_version_that_redis_lacks_is_pending()
    {
        using var learner = Learner();
        Steps(learner, 1);
        learner.NextVersion();
        learner.NextVersion();
        var policy = new PublishPolicy(learner, new PublishRules(1, 3600), _clock);
        policy.Resume(publishedVersion: 1);
        Assert.True(policy.HasPending);
        policy.Resume(publishedVersion: 2);
        Assert.False(policy.HasPending);
    }

    public void Dispose() => _backbone.Dispose();

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
