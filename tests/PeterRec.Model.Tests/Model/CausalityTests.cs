using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public class CausalityTests
{
    [Fact]
    public void Changing_a_later_item_never_changes_earlier_outputs()
    {
        manual_seed(3);
        using var net = new NextItNet(TinyModels.Config());
        net.eval();
        using var _ = no_grad();
        var ids = TinyModels.RandomIds(4, 12, 40, seed: 5);
        var before = net.forward(ids);
        for (int t = 1; t < 12; t++)
        {
            var changed = ids.clone();
            changed[.., t] = (changed[.., t] + 1) % 38 + 2;
            var after = net.forward(changed);
            Assert.True(TinyModels.BitEqual(after[.., ..t], before[.., ..t]), $"positions before {t} changed when item {t} changed");
            Assert.False(TinyModels.BitEqual(after[.., t], before[.., t]), $"position {t} ignored its own item");
        }
    }

    [Fact]
    public void Masked_backbone_sees_both_directions()
    {
        // The non-causal (GRec) variant must see later items; this also proves the causality test can fail.
        manual_seed(3);
        using var net = new NextItNet(TinyModels.Config(masked: true));
        net.eval();
        using var _ = no_grad();
        var ids = TinyModels.RandomIds(2, 12, 39, seed: 5);
        var before = net.forward(ids);
        var changed = ids.clone();
        changed[.., 11] = (changed[.., 11] + 1) % 37 + 2;
        var after = net.forward(changed);
        Assert.False(TinyModels.BitEqual(after[.., 10], before[.., 10]));
    }

    [Fact]
    public void Representation_does_not_depend_on_how_much_padding_precedes_the_history()
    {
        manual_seed(4);
        using var model = new PeterRecModel(TinyModels.Config(), FineTuneMode.PeterRecSerial, 7, 2);
        model.eval();
        using var _ = no_grad();
        // Non-zero biases everywhere, as after training: padding would leak through them if not masked.
        foreach (var p in model.parameters()) p.add_(randn_like(p) * 0.1);
        var shortIds = tensor(new long[] { 5, 6, 7 }, [1, 3]);
        var padded = tensor(new long[] { 0, 0, 0, 5, 6, 7 }, [1, 6]);
        var a = model.forward(shortIds);
        var b = model.forward(padded);
        Assert.True(a.allclose(b, rtol: 1e-5, atol: 1e-6));
    }
}
