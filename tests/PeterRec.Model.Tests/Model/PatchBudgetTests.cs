using PeterRec.Model.Model;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Training;

namespace PeterRec.Model.Tests.Model;

/// <summary>Patches stay under 1/10 of their conv (the paper's bound), or the run says that they do not.</summary>
public sealed class PatchBudgetTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(256)]
    public void The_default_patch_size_keeps_patches_under_a_tenth_from_32_channels_up(int channels)
    {
        var hidden = PeterRecModel.DefaultPatchHidden(channels);
        Assert.True(PeterRecModel.PatchRatio(channels, 3, hidden) < 0.1);
        Assert.Null(PeterRecModel.PatchBudgetWarning(channels, 3, hidden, isDefault: true));
    }

    [Fact]
    public void The_default_patch_size_at_16_channels_is_over_a_tenth_and_the_warning_names_a_size_that_fits()
    {
        var w = PeterRecModel.PatchBudgetWarning(16, 3, PeterRecModel.DefaultPatchHidden(16), isDefault: true);
        Assert.NotNull(w);
        Assert.Contains("0.105", w);
        Assert.Contains("--patch-size 1", w);
    }

    [Fact]
    public void At_8_channels_no_patch_size_fits_and_the_warning_says_so()
    {
        Assert.Contains("no patch size", PeterRecModel.PatchBudgetWarning(8, 3, 1, isDefault: true));
    }

    [Fact]
    public void A_fine_tuning_report_over_a_narrow_backbone_carries_the_warning()
    {
        using var dir = new TempDir();
        var backbone = TinyModels.SaveBackbone(dir.File("backbone"), TinyModels.Config()); // 16 channels
        var rows = string.Concat(Enumerable.Range(0, 30).Select(i => $"s{i % 30},s{(i + 1) % 30},s{(i + 2) % 30},,t{i % 4}\n"));
        var report = new FineTuner(new FineTuneOptions { Epochs = 1, Device = "cpu" }).Run(backbone, dir.Write("rec.csv", rows), dir.File("task"));
        Assert.Contains("1/10", Assert.Single(report.Warnings!));

        var fits = new FineTuner(new FineTuneOptions { Epochs = 1, PatchHidden = 1, Device = "cpu" }).Run(backbone, dir.Write("rec.csv", rows), dir.File("task1"));
        Assert.Null(fits.Warnings);
    }
}
