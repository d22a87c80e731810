using PeterRec.Model.Storage;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Tests.Model;

namespace PeterRec.Model.Tests.Cli;

/// <summary>Commands refuse to write an artifact where it would ruin another, before doing any work.</summary>
public class ArtifactCommandTests
{
    private static readonly string[] Tiny = ["--emb", "8", "--dilations", "1,2", "--epochs", "1", "--seq", "6", "--device", "cpu", "--threads", "1"];

    [Fact]
    public void Pretrain_refuses_to_replace_an_existing_backbone_without_force_and_replaces_it_with_force()
    {
        using var dir = new TempDir();
        var data = PeterRecProcess.PretrainCsv(dir.File("pretrain.csv"));
        var backbone = dir.File("backbone");
        Assert.Equal(0, PeterRecProcess.Run(["pretrain", "--data", data, "--out", backbone, .. Tiny]).Code);
        var first = File.ReadAllBytes(Path.Combine(backbone, ModelStore.BackboneFile));

        var (code, _, err) = PeterRecProcess.Run(["pretrain", "--data", data, "--out", backbone, "--seed", "8", .. Tiny]);
        Assert.Equal(2, code);
        Assert.Contains("already holds a backbone", err);
        Assert.Contains("--force", err);
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(backbone, ModelStore.BackboneFile)));

        Assert.Equal(0, PeterRecProcess.Run(["pretrain", "--data", data, "--out", backbone, "--seed", "8", "--force", .. Tiny]).Code);
        Assert.NotEqual(first, File.ReadAllBytes(Path.Combine(backbone, ModelStore.BackboneFile)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tasks/rec")]
    public void Finetune_refuses_an_output_directory_that_is_or_is_inside_the_backbone(string under)
    {
        using var dir = new TempDir();
        var backbone = TinyModels.SaveBackbone(dir.File("backbone"), TinyModels.Config());
        var before = Directory.GetFiles(backbone, "*", SearchOption.AllDirectories).Order().ToList();
        var data = dir.Write("rec.csv", "s1,s2,s3,,t1\n");
        var (code, _, err) = PeterRecProcess.Run("finetune", "--backbone", backbone, "--data", data, "--out", Path.Combine(backbone, under), "--device", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("backbone directory", err);
        Assert.Equal(before, Directory.GetFiles(backbone, "*", SearchOption.AllDirectories).Order().ToList());
    }
}
