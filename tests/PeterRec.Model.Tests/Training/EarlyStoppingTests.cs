using System.Globalization;
using PeterRec.Model.Tests.Cli;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Training;

namespace PeterRec.Model.Tests.Training;

/// <summary>Early stopping keeps the best epoch whole: the report's validation score is the best epoch's.</summary>
public sealed class EarlyStoppingTests
{
    [Fact]
    public void The_pretrain_report_scores_the_best_epoch_of_the_curve_not_a_mix_of_epochs()
    {
        using var dir = new TempDir();
        var data = PeterRecProcess.PretrainCsv(dir.File("pretrain.csv"), users: 300, seed: 4);
        var output = dir.File("backbone");
        // A high learning rate and patience over every epoch: the curve goes up and down, and the last epoch is not the best.
        var options = new PretrainOptions { Channels = 8, Dilations = [1, 2], MaxSeq = 6, Epochs = 6, Patience = 6, Batch = 16, LearningRate = 0.05,
                                            ValidFraction = 0.3, Seed = 3, Device = "cpu" };
        var report = new Pretrainer(options).Run(data, output);

        var curve = File.ReadAllLines(Path.Combine(output, "curve.csv")).Skip(1)
            .Select(l => double.Parse(l.Split(',')[3], CultureInfo.InvariantCulture)).ToList();
        Assert.True(curve[^1] < curve.Max(), $"precondition: the last epoch should not be the best one (curve {string.Join(" ", curve)})");
        Assert.Equal(Math.Round(curve.Max(), 5), report.ValidMrr5, 5);
    }
}
