using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Training;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public class ModelPatchTests
{
    private static (ResidualBlock Plain, ResidualBlock Patched) PretrainedPair(PatchInsertion insertion, int channels = 64, int hidden = 8)
    {
        manual_seed(11);
        var plain = new ResidualBlock("b", channels, 3, 2, causal: true);
        using (no_grad())
            foreach (var p in plain.parameters()) p.add_(randn_like(p) * 0.05); // "pretrained": away from init
        var patched = new ResidualBlock("b", channels, 3, 2, causal: true, insertion, hidden);
        TensorBundle.LoadInto(patched, plain.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter), "plain block");
        plain.eval(); patched.eval();
        return (plain, patched);
    }

    [Theory]
    [InlineData(PatchInsertion.Serial)]
    [InlineData(PatchInsertion.Parallel)]
    public void Patch_at_init_changes_a_pretrained_block_output_by_under_one_percent(PatchInsertion insertion)
    {
        var (plain, patched) = PretrainedPair(insertion);
        using var _ = no_grad();
        var x = randn(8, 64, 30);                                        // [batch, channels, seq]
        var a = plain.forward(x);
        var b = patched.forward(x);
        var relative = ((b - a).norm() / a.norm()).item<float>();
        Assert.True(relative < 1e-2, $"relative change {relative}");
        Assert.True(relative > 0, "the patch must be in the computation");
    }

    [Fact]
    public void A_trained_patch_changes_the_block_output()
    {
        // Guards the test above: a patch with weights far from init is not near identity.
        var (plain, patched) = PretrainedPair(PatchInsertion.Serial);
        using var _ = no_grad();
        foreach (var (name, p) in patched.named_parameters())
            if (name.Contains("patch")) p.add_(randn_like(p));
        var x = randn(8, 64, 30);
        var relative = ((patched.forward(x) - plain.forward(x)).norm() / plain.forward(x).norm()).item<float>();
        Assert.True(relative > 1e-1, $"relative change {relative}");
    }

    [Theory]
    [InlineData(64, 3)]
    [InlineData(256, 3)]
    [InlineData(32, 5)]
    public void Default_patch_is_under_a_tenth_of_the_conv_it_patches(int channels, int kernel)
    {
        int hidden = PeterRecModel.DefaultPatchHidden(channels);
        double ratio = (double)ModelPatch.ParameterCount(channels, hidden) / FineTuneReport.ConvParameterCount(channels, kernel);
        Assert.True(ratio < 0.1, $"C={channels} k={kernel}: patch/conv = {ratio:F4}");
        using var patch = new ModelPatch("p", channels, hidden);
        Assert.Equal(ModelPatch.ParameterCount(channels, hidden), patch.parameters().Sum(p => p.numel()));
    }
}

public class InitTests
{
    [Fact]
    public void Weights_start_as_a_truncated_normal_with_sd_0_02()
    {
        manual_seed(1);
        using var net = new NextItNet(TinyModels.Config(items: 2000) with { Channels = 64 });
        var w = net.EmbeddingWeight[1..];                     // row 0 is the zero padding vector
        var std = w.std().item<float>();
        Assert.InRange(std, 0.015, 0.02);                     // truncation at 2 sd shrinks sd to ~0.88 sd
        Assert.True(w.abs().max().item<float>() <= 0.04f + 1e-6f);
        Assert.True(TinyModels.BitEqual(net.EmbeddingWeight[0], zeros(64)));
    }
}
