using PeterRec.Model.Data;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Training;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

/// <summary>An evaluation with nothing to score fails clearly instead of reporting metrics of 0 (or a perfect 1).</summary>
public sealed class NothingToScoreTests
{
    private static PeterRecModel Model(int targets) => new(TinyModels.Config(), FineTuneMode.FineAll, targets, 2);

    [Fact]
    public void Ranking_among_zero_sampled_negatives_is_refused()
    {
        using var model = Model(5);
        var users = new[] { new TaskUser(1, [2, 3, 4], [1]) };
        Assert.Throws<ArgumentException>(() => TaskEvaluator.Evaluate(model, users, new EvalSettings(false, Negatives: 0), CPU));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_positive_without_any_candidate_to_rank_against_is_not_scored_as_a_hit(bool fullRanking)
    {
        using var model = Model(2);
        var users = new[] { new TaskUser(1, [2, 3, 4], [0, 1]) }; // the user's positives are every target
        var m = TaskEvaluator.Evaluate(model, users, new EvalSettings(false, FullRanking: fullRanking), CPU);
        Assert.Equal(0, m.Count);
    }

    [Fact]
    public void A_test_fraction_of_zero_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new FineTuneOptions { TestFraction = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new FineTuneOptions { TestFraction = 0.5, ValidFraction = 0.5 }.Validate());
    }

    [Fact]
    public void Fine_tuning_whose_test_split_is_empty_fails_before_training_and_writes_nothing()
    {
        using var dir = new TempDir();
        var backbone = TinyModels.SaveBackbone(dir.File("backbone"), TinyModels.Config());
        var data = dir.Write("rec.csv", "s1,s2,,t1\ns2,s3,,t2\ns3,s4,,t1\n");
        var options = new FineTuneOptions { TestFraction = 0.01, ValidFraction = 0, Epochs = 1, Device = "cpu" };
        var e = Assert.Throws<InvalidDataException>(() => new FineTuner(options).Run(backbone, data, dir.File("task")));
        Assert.Contains("nothing to score", e.Message);
        Assert.False(Directory.Exists(dir.File("task")));
    }
}
