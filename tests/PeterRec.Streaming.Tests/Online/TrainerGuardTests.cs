using PeterRec.Trainer.Online;
using static TorchSharp.torch;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>The trainer's step guards (non-finite loss, exploding gradient) and its publish gate (held-back slice).</summary>
public sealed class TrainerGuardTests : IDisposable
{
    private readonly TinyBackbone _backbone = new();

    private static LearnerSettings Rec(double maxGradNorm = 1000, int holdoutEvery = 0) => new()
    {
        Task = "rec", Kind = "rec", MaxTargets = 100, MicroBatch = 32, LearningRate = 3e-2, Device = "cpu",
        MaxGradNorm = maxGradNorm, HoldoutEvery = holdoutEvery, HoldoutSize = 200, HoldoutMinEvents = 50, PublishMargin = 0.05,
    };

    private static List<LabeledExample> Examples(OnlineLearner learner, SyntheticTaskStream stream, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => stream.Next()).Select(e => new LabeledExample(learner.EncodeSource(e.Window), e.Label))];

    private static Dictionary<string, Tensor> Trainable(OnlineLearner learner) =>
        learner.Model.TrainableParameters().ToDictionary(p => p.Name, p => p.Param.detach().clone());

    private static void AssertUnchanged(Dictionary<string, Tensor> before, OnlineLearner learner)
    {
        foreach (var (name, p) in learner.Model.TrainableParameters()) Assert.True(TensorAssert.Same(before[name], p), $"{name} changed");
    }

    [Fact]
    public void A_micro_batch_with_a_nan_loss_is_skipped_and_leaves_the_task_weights_finite_and_untouched()
    {
        using var learner = OnlineLearner.Create(Rec(), _backbone.Dir);
        var stream = new SyntheticTaskStream(10);
        learner.Learn(Examples(learner, stream, 64)); // Adam has state: a NaN step would poison it
        var step = learner.Step;
        var before = Trainable(learner);
        // A NaN in the frozen embedding row of one source item makes every sequence with that item score NaN.
        var poisoned = learner.SourceVocab.IdOrUnk(TinyBackbone.Item(0));
        using (no_grad()) learner.Model.Backbone.named_parameters().Single(p => p.name == "item_embedding.weight").parameter[poisoned].fill_(float.NaN);
        var bad = Enumerable.Range(0, 32).Select(i => new LabeledExample(learner.EncodeSource([TinyBackbone.Item(0), TinyBackbone.Item(i % 40 + 1)]), "t1")).ToList();

        var result = learner.Learn(bad);

        Assert.Equal(0, result.Steps);
        Assert.Equal(0, result.Trained);
        Assert.Equal(1, result.Skipped!["nonfinite_loss"]);
        Assert.Empty(result.Ranks); // NaN scores must not count as hits
        Assert.Equal(step, learner.Step);
        AssertUnchanged(before, learner);
        Assert.True(learner.TaskStateIsFinite());
        Assert.Equal(1, learner.SkippedSteps["nonfinite_loss"]);
    }

    [Fact]
    public void A_gradient_norm_above_the_bound_skips_the_step()
    {
        using var learner = OnlineLearner.Create(Rec(maxGradNorm: 1e-6), _backbone.Dir);
        var before = Trainable(learner);
        var result = learner.Learn(Examples(learner, new SyntheticTaskStream(10), 96));
        Assert.Equal((0, 0L), (result.Steps, learner.Step));
        Assert.Equal(3, result.Skipped!["gradient_norm"]);
        Assert.Equal(96, result.Ranks.Count); // still scored (prequential), just not trained
        AssertUnchanged(before, learner);
    }

    [Fact]
    public void Non_finite_weights_are_never_exported_and_the_gate_withholds_them()
    {
        using var learner = OnlineLearner.Create(Rec(), _backbone.Dir);
        learner.Learn(Examples(learner, new SyntheticTaskStream(10), 64));
        using (no_grad()) learner.Model.TargetWeight[0, 0].fill_(float.PositiveInfinity);
        Assert.False(learner.TaskStateIsFinite());
        Assert.Throws<InvalidOperationException>(() => learner.ExportVersion());
        Assert.Equal(new PublishVerdict(false, "nonfinite_patch"), learner.CheckCandidate());
    }

    [Fact]
    public void Every_nth_event_is_held_back_from_training_and_kept_for_the_gate()
    {
        using var learner = OnlineLearner.Create(Rec(holdoutEvery: 4), _backbone.Dir);
        var result = learner.Learn(Examples(learner, new SyntheticTaskStream(10), 128));
        Assert.Equal((32, 96), (result.HeldOut, result.Trained));
        Assert.Equal(32, learner.Holdout.Count);
        Assert.Equal(128, result.Ranks.Count);
    }

    [Fact]
    public void The_gate_publishes_an_improving_version_and_withholds_one_worse_on_the_held_back_slice()
    {
        using var learner = OnlineLearner.Create(Rec(holdoutEvery: 4), _backbone.Dir);
        var stream = new SyntheticTaskStream(10);
        Assert.Equal("no_baseline", learner.CheckCandidate().Reason);
        learner.Learn(Examples(learner, stream, 64));
        learner.MarkPublished();
        Assert.Equal("few_events", learner.CheckCandidate().Reason); // 16 held back < 50
        for (int i = 0; i < 8; i++) learner.Learn(Examples(learner, stream, 128));
        var good = learner.CheckCandidate();
        Assert.True(good.Publish, good.ToString());
        Assert.Equal("ok", good.Reason);
        Assert.True(good.Candidate > good.Baseline, good.ToString());
        learner.MarkPublished();

        // A broken candidate: the head's rows for the labels in use are scrambled among themselves.
        var before = Trainable(learner);
        using (no_grad())
        {
            var used = learner.Targets.Count;
            var head = learner.Model.TargetWeight;
            var rows = head.narrow(0, 0, used).clone();
            head.narrow(0, 0, used).copy_(rows.index_select(0, arange(used - 1, -1, -1, ScalarType.Int64)));
        }
        var scrambled = Trainable(learner);
        var bad = learner.CheckCandidate();
        Assert.False(bad.Publish, bad.ToString());
        Assert.Equal("worse_on_holdout", bad.Reason);
        Assert.True(bad.Candidate < bad.Baseline - 0.05, bad.ToString());
        AssertUnchanged(scrambled, learner); // evaluating the baseline swapped it in and back out
        Assert.False(TensorAssert.Same(before["target_embedding"], scrambled["target_embedding"]));
    }

    public void Dispose() => _backbone.Dispose();
}
