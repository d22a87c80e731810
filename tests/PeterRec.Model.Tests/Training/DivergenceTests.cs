using PeterRec.Model.Tests.Cli;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Tests.Model;
using PeterRec.Model.Training;

namespace PeterRec.Model.Tests.Training;

/// <summary>Offline training that goes non-finite or explodes stops with a clear error and writes nothing.</summary>
public sealed class DivergenceTests : IDisposable
{
    private readonly TempDir _dir = new();

    private static PretrainOptions TinyPretrain(double lr) =>
        new() { Channels = 8, Dilations = [1, 2], MaxSeq = 6, Epochs = 2, Batch = 8, LearningRate = lr, Device = "cpu" };

    private string FineTuneCsv()
    {
        var rng = new Random(3);
        var vocab = TinyModels.Vocab(TinyModels.Config().Items);
        var rows = Enumerable.Range(0, 60).Select(_ =>
            string.Join(",", Enumerable.Range(0, rng.Next(3, 8)).Select(_ => vocab.Token(rng.Next(2, vocab.Count)))) + $",,t{rng.Next(5)}");
        var path = _dir.File("rec.csv");
        File.WriteAllLines(path, rows);
        return path;
    }

    [Fact]
    public void Pretraining_with_an_exploding_loss_stops_naming_the_epoch_and_writes_no_backbone()
    {
        var data = PeterRecProcess.PretrainCsv(_dir.File("pretrain.csv"));
        var output = _dir.File("backbone");
        var e = Assert.Throws<TrainingDivergedException>(() => new Pretrainer(TinyPretrain(1e6)).Run(data, output));
        Assert.Contains("pretraining diverged at epoch", e.Message);
        Assert.Contains("--lr", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.False(Directory.Exists(output), "a diverged pretraining wrote its output directory");
    }

    [Fact]
    public void Pretraining_at_a_sane_learning_rate_passes_the_guard()
    {
        var data = PeterRecProcess.PretrainCsv(_dir.File("pretrain.csv"));
        var report = new Pretrainer(TinyPretrain(1e-3)).Run(data, _dir.File("backbone"));
        Assert.True(double.IsFinite(report.FinalLoss));
    }

    [Fact]
    public void Fine_tuning_with_an_exploding_loss_stops_and_writes_no_task()
    {
        var backbone = TinyModels.SaveBackbone(_dir.File("backbone"), TinyModels.Config());
        var task = _dir.File("task");
        var options = new FineTuneOptions { Mode = PeterRec.Model.Model.FineTuneMode.FineAll, Epochs = 3, Batch = 8, LearningRate = 1e6, Device = "cpu" };
        var e = Assert.Throws<TrainingDivergedException>(() => new FineTuner(options).Run(backbone, FineTuneCsv(), task));
        Assert.Contains("fine-tuning diverged", e.Message);
        Assert.False(Directory.Exists(task), "a diverged fine-tuning wrote its task directory");
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.0)]
    [InlineData(-1e-3)]
    public void A_learning_rate_that_is_not_finite_and_positive_is_refused(double lr)
    {
        Assert.Throws<ArgumentException>(() => TinyPretrain(lr).Validate());
        Assert.Throws<ArgumentException>(() => new FineTuneOptions { LearningRate = lr }.Validate());
    }

    [Fact]
    public void The_guard_refuses_nan_and_infinite_losses_and_losses_far_above_a_uniform_guess()
    {
        var guard = new DivergenceGuard("pretraining", 1000, 1e-3);
        guard.CheckLoss(Math.Log(1000), 1, 1);
        Assert.Throws<TrainingDivergedException>(() => guard.CheckLoss(double.NaN, 1, 2));
        Assert.Throws<TrainingDivergedException>(() => guard.CheckLoss(double.PositiveInfinity, 1, 2));
        Assert.Throws<TrainingDivergedException>(() => guard.CheckLoss(2e13, 1, 2));
    }

    [Fact]
    public void The_pretrain_command_exits_1_on_divergence_and_2_on_a_nan_learning_rate_leaving_no_output()
    {
        var data = PeterRecProcess.PretrainCsv(_dir.File("pretrain.csv"));
        string[] tiny = ["--emb", "8", "--dilations", "1,2", "--epochs", "2", "--batch", "8", "--seq", "6", "--device", "cpu", "--threads", "1"];
        var (code, _, err) = PeterRecProcess.Run(["pretrain", "--data", data, "--out", _dir.File("a"), "--lr", "1e6", .. tiny]);
        Assert.Equal(1, code);
        Assert.Contains("diverged", err);
        Assert.False(Directory.Exists(_dir.File("a")));

        (code, _, err) = PeterRecProcess.Run(["pretrain", "--data", data, "--out", _dir.File("b"), "--lr", "NaN", .. tiny]);
        Assert.Equal(2, code);
        Assert.Contains("--lr", err);
        Assert.False(Directory.Exists(_dir.File("b")));
    }

    public void Dispose() => _dir.Dispose();
}
