using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public class PositionPruningTests
{
    public static TheoryData<string, bool, bool> Modes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var m in FineTuneModes.ByName.Keys) data.Add(m, false, false);
        data.Add("peterrec-serial", true, false);
        data.Add("fineall", true, false);
        // Windows without padding: the pruned path skips the mask.
        data.Add("peterrec-serial", false, true);
        data.Add("finecls", false, true);
        return data;
    }

    // Longer than the stack's receptive field is deep, so the top blocks really are pruned; every row is
    // shorter than the window, so the leading all-padding columns are dropped too.
    private static BackboneConfig Config(bool masked) => TinyModels.Config(masked) with { MaxSeq = 24 };

    private static Tensor Histories(int batch, int maxLen, int items, int seed, bool full = false)
    {
        var rng = new Random(seed);
        var rows = Enumerable.Range(0, batch).Select(_ =>
            Enumerable.Range(0, full ? 24 : rng.Next(1, maxLen + 1)).Select(_ => rng.Next(2, items - 1)).ToArray()).ToList();
        return Sequences.LeftPad(rows, 24);
    }

    private static (float[] Rep, Dictionary<string, float[]> Grads) RunStep(PeterRecModel model, Tensor ids, Tensor labels, bool prune)
    {
        model.PrunePositions = prune;
        model.zero_grad();
        using var scope = NewDisposeScope();
        var rep = model.forward(ids);                                        // [batch, channels]
        var loss = nn.functional.cross_entropy(model.Scores(rep), labels);
        loss.backward();
        var grads = model.TrainableParameters().ToDictionary(p => p.Name, p => p.Param.grad!.cpu().data<float>().ToArray());
        return (rep.detach().cpu().data<float>().ToArray(), grads);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Computing_only_the_positions_the_representation_needs_gives_the_full_outputs_and_gradients(string modeName, bool masked, bool fullWindows)
    {
        manual_seed(11);
        var config = Config(masked);
        using var model = new PeterRecModel(config, FineTuneModes.Parse(modeName), targets: 9, patchHidden: 3);
        // Patches start near identity; random ones make a wrong position show in the output.
        using (no_grad()) foreach (var (name, p) in model.named_parameters()) if (name.Contains("patch")) p.normal_(0, 0.3);
        using var ids = Histories(batch: 6, maxLen: 20, config.Items, seed: 5, fullWindows);
        using var labels = tensor(new long[] { 0, 3, 8, 1, 5, 2 });

        var full = RunStep(model, ids, labels, prune: false);
        var pruned = RunStep(model, ids, labels, prune: true);

        Assert.Equal(full.Rep.Length, pruned.Rep.Length);
        for (int i = 0; i < full.Rep.Length; i++) Assert.True(Math.Abs(full.Rep[i] - pruned.Rep[i]) <= 1e-5, $"rep[{i}]: {full.Rep[i]} vs {pruned.Rep[i]}");
        Assert.NotEmpty(full.Grads);
        foreach (var (name, g) in full.Grads)
        {
            var p = pruned.Grads[name];
            Assert.True(g.Any(v => v != 0), $"{name}: no gradient, the comparison would be empty");
            for (int i = 0; i < g.Length; i++) Assert.True(Math.Abs(g[i] - p[i]) <= 1e-5, $"{modeName}: grad {name}[{i}]: {g[i]} vs {p[i]}");
        }
    }

    [Fact]
    public void Serving_forward_without_gradients_equals_the_full_stack_for_a_batch_with_an_empty_row()
    {
        manual_seed(3);
        var config = Config(masked: false);
        using var model = new PeterRecModel(config, FineTuneMode.PeterRecSerial, targets: 4, patchHidden: 3);
        model.eval();
        using var _ = no_grad();
        using var ids = Sequences.LeftPad([[5, 6, 7], [], [9, 9, 9, 9, 9, 9, 9, 9, 9, 9]], 24);
        model.PrunePositions = false;
        using var full = model.forward(ids);
        model.PrunePositions = true;
        using var pruned = model.forward(ids);
        Assert.True(full.allclose(pruned, rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void The_default_stack_needs_few_positions_in_its_top_blocks_and_all_of_them_at_the_bottom()
    {
        // The default stack (kernel 3, dilations 1,4,1,4,1,4,1,4, second conv x2) over 50 items + [CLS], causal.
        var geometry = new BackboneConfig().Dilations
            .Select(d => (new ConvGeometry(3, d, 2 * d), new ConvGeometry(3, 2 * d, 4 * d))).ToList();
        var plan = PositionPlan.For(51, geometry, [50]);
        Assert.Equal([50L], plan.Blocks[7].Output);
        Assert.Equal([34L, 42, 50], plan.Blocks[7].Middle);                      // the top conv reads 3 positions
        Assert.Equal(7, plan.Blocks[7].Input.Length);
        Assert.Equal(15, plan.Blocks[6].Middle.Length);
        Assert.Equal(51, plan.Blocks[0].Input.Length);
        Assert.Equal(51, plan.Blocks[3].Output.Length);
    }
}
