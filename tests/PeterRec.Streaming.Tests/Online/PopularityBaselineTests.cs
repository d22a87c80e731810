using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Trainer.Online;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>The online popularity baseline beside the prequential metric.</summary>
/// <remarks>In the streaming collection: learners seed libtorch's global generator, so fewer of them run side by side.</remarks>
[Collection(StreamingCollection.Name)]
public sealed class PopularityBaselineTests : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-baseline-{Guid.NewGuid():N}");

    [Fact]
    public void Each_label_is_ranked_by_the_counts_seen_before_it_with_ties_against_it()
    {
        string[] labels = ["a", "b", "c"];
        var baseline = new PopularityBaseline(window: 2);
        // Stream a, a, b: a first has count 0 and ties both others (rank 2); then a leads (rank 0); b at 0 ties c, loses to a.
        long Next(int row)
        {
            var rank = baseline.Score(labels, row, [.. Enumerable.Range(0, 3).Where(j => j != row)]);
            baseline.Observe(labels[row]);
            return rank;
        }
        Assert.Equal([2L, 0L, 2L], new[] { Next(0), Next(0), Next(1) });
        Assert.Equal(3, baseline.Meter.Total.Count);
        Assert.Equal(1 / 3.0, baseline.Meter.Total.Accuracy, 10);
        Assert.Equal(0.5, baseline.Meter.Window.Accuracy, 10);
        Assert.Equal(2, baseline.CountOf("a"));
        Assert.Equal(2.0, PopularityBaseline.Lift(0.5, 0.25));
        Assert.Null(PopularityBaseline.Lift(0.5, 0));
    }

    [Fact]
    public void The_learner_scores_the_majority_class_baseline_on_every_event_it_scores()
    {
        var settings = new LearnerSettings
        {
            Task = "cls", Kind = "cls", Classes = ["x", "y", "z"], MaxTargets = 3, MicroBatch = 3, Device = "cpu", PrequentialWindow = 4,
        };
        using var learner = OnlineLearner.Create(settings, _backbone.Dir);
        var source = learner.EncodeSource([TinyBackbone.Item(1), TinyBackbone.Item(2)]);
        // Counts before each label -> rank of its class among the other two (ties against it):
        // x(0,0,0)->2  x(1,0,0)->0  y(2,0,0)->2  x(2,1,0)->0  z(3,1,0)->2  y(3,1,1)->2  y(3,2,1)->1  y(3,3,1)->1
        string[] stream = ["x", "x", "y", "x", "z", "y", "y", "y"];
        learner.Learn([.. stream.Select(l => new LabeledExample(source, l))]);
        Assert.Equal(learner.Meter.Total.Count, learner.Baseline.Meter.Total.Count);
        Assert.Equal(8, learner.Baseline.Meter.Total.Count);
        Assert.Equal(2 / 8.0, learner.Baseline.Meter.Total.Accuracy, 10);
        Assert.Equal([2L, 2L, 1L, 1L], learner.Baseline.Meter.RecentRanks);
        Assert.Equal(0, learner.Baseline.Meter.Window.Accuracy);
        Assert.Equal(3, learner.Baseline.CountOf("x"));
        Assert.Equal(4, learner.Baseline.CountOf("y"));
    }

    [Fact]
    public void The_baseline_survives_a_checkpoint_round_trip()
    {
        var settings = new LearnerSettings { Task = "rec", MaxTargets = 50, MicroBatch = 16, Device = "cpu", PrequentialWindow = 40 };
        var stream = new SyntheticTaskStream(20);
        using var a = OnlineLearner.Create(settings, _backbone.Dir);
        a.Learn([.. Enumerable.Range(0, 64).Select(_ => stream.Next()).Select(e => new LabeledExample(a.EncodeSource(e.Window), e.Label))]);
        var path = LearnerCheckpoint.PathFor(_dir, "rec");
        LearnerCheckpoint.Save(path, a, new Dictionary<string, long>());
        using var b = OnlineLearner.Create(settings, _backbone.Dir);
        LearnerCheckpoint.Load(path, b);
        Assert.Equal(a.Baseline.Meter.Total, b.Baseline.Meter.Total);
        Assert.Equal(a.Baseline.Meter.RecentRanks, b.Baseline.Meter.RecentRanks);
        Assert.Equal(a.Baseline.Counts.OrderBy(p => p.Key), b.Baseline.Counts.OrderBy(p => p.Key));
        Assert.True(a.Baseline.Meter.Total.Count > 0);
    }

    public void Dispose()
    {
        _backbone.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
