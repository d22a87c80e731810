using PeterRec.Model.Data;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Training;

namespace PeterRec.Model.Tests.Model;

/// <summary>The offline popularity baseline of the fine-tune report.</summary>
public class PopularityBaselineTests
{
    private static TaskUser User(params int[] targets) => new(0, [1, 2], targets);

    [Fact]
    public void The_baseline_scores_targets_by_their_label_count_in_the_training_split()
    {
        var train = new[] { User(0), User(0), User(0), User(2), User(2), User(1) };
        Assert.Equal([3f, 1f, 2f], TaskEvaluator.Popularity(train, 3));
    }

    [Fact]
    public void Classification_ranks_each_test_label_among_every_class_with_ties_against_it()
    {
        // Counts 3, 1, 1: class 0 is the majority (rank 0); classes 1 and 2 tie with each other and lose to 0 (rank 2).
        var test = new[] { User(0), User(1), User(2), User(0) };
        var m = TaskEvaluator.EvaluateFixed([3f, 1f, 1f], test, new EvalSettings(IsClassification: true));
        Assert.Equal(0.5, m.Accuracy, 10);
        Assert.Equal(4, m.Count);
    }

    [Fact]
    public void Recommendation_ranks_each_label_among_seeded_sampled_negatives_by_popularity()
    {
        // 200 targets, popularity = target id: the positive's rank is the number of sampled negatives above it.
        var scores = Enumerable.Range(0, 200).Select(i => (float)i).ToArray();
        var users = Enumerable.Range(0, 50).Select(i => User(i * 4)).ToList();
        var settings = new EvalSettings(IsClassification: false, Negatives: 20, Seed: 11);
        var a = TaskEvaluator.EvaluateFixed(scores, users, settings);
        var b = TaskEvaluator.EvaluateFixed(scores, users, settings);
        Assert.Equal(a.Mrr, b.Mrr);
        Assert.True(a.Hr > 0 && a.Hr < 1, $"HR@5 {a.Hr}");
        // The most popular target is never beaten: a user whose label is 199 ranks first.
        Assert.Equal(1.0, TaskEvaluator.EvaluateFixed(scores, [User(199)], settings).Accuracy);
    }

    [Fact]
    public void The_report_carries_the_baseline_and_the_lift_over_it()
    {
        var baseline = new RankingMetrics();
        baseline.AddRank(0); baseline.AddRank(9);
        var report = new FineTuneReport { Mode = "peterrec", Task = "rec", Hr5 = 0.8 }.WithBaseline(baseline, classification: false);
        Assert.Equal("popularity", report.Baseline!.Name);
        Assert.Equal(0.5, report.Baseline.Hr5);
        Assert.Equal(1.6, report.Lift);
        var zero = new RankingMetrics();
        zero.AddRank(9);
        Assert.Null(new FineTuneReport { Mode = "peterrec", Task = "rec", Hr5 = 0.8 }.WithBaseline(zero, false).Lift);
    }
}
