using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Training;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public class FreezingTests
{
    public static TheoryData<string> Modes => new(FineTuneModes.ByName.Keys);

    private static List<(int[] Source, int Target)> Pairs(int count, int targets, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            var src = Enumerable.Range(0, rng.Next(3, 12)).Select(_ => rng.Next(2, 40)).ToArray();
            return (src, src[^1] % targets); // learnable: the target follows the last item
        }).ToList();
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Fine_tuning_moves_exactly_the_trainable_tensors(string modeName)
    {
        using var dir = new TempDir();
        var config = TinyModels.Config();
        TinyModels.SaveBackbone(dir.Path, config);
        var mode = FineTuneModes.Parse(modeName);
        using var model = new PeterRecModel(config, mode, targets: 7, patchHidden: 2);
        if (mode.UsesPretrainedWeights()) ModelStore.LoadBackboneWeights(dir.Path, model.Backbone);
        var before = TinyModels.Snapshot(model);
        var trainable = model.TrainableParameters().Select(p => p.Name).ToHashSet();

        var options = new FineTuneOptions { Mode = mode, Epochs = 2, Batch = 16, LearningRate = 1e-2, Patience = 5 };
        new FineTuner(options).Train(model, Pairs(64, 7, seed: 2), [], CPU, new TrainingCurve("mrr_5"));

        foreach (var (name, p) in model.named_parameters())
        {
            bool same = TinyModels.BitEqual(p, before[name]);
            if (trainable.Contains(name)) Assert.False(same, $"{modeName}: trainable '{name}' did not move");
            else Assert.True(same, $"{modeName}: frozen '{name}' changed");
            Assert.Equal(trainable.Contains(name), p.requires_grad);
        }
        Assert.Equal(mode.UsesPretrainedWeights() && mode != FineTuneMode.FineAll, trainable.Count < model.parameters().Count());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Backward_computes_no_gradient_for_a_frozen_tensor_in_any_mode(string modeName)
    {
        var config = TinyModels.Config();
        using var model = new PeterRecModel(config, FineTuneModes.Parse(modeName), targets: 7, patchHidden: 2);
        using var ids = TinyModels.RandomIds(4, 12, config.Items, seed: 1);
        using var loss = nn.functional.cross_entropy(model.Scores(model.forward(ids)), tensor(new long[] { 0, 1, 2, 6 }));
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            // A frozen conv or LayerNorm never asks libtorch for its weight gradient: no tensor is ever allocated.
            if (p.requires_grad) Assert.True(p.grad is not null, $"{modeName}: trainable '{name}' got no gradient");
            else Assert.True(p.grad is null, $"{modeName}: frozen '{name}' got a gradient");
        }
    }

    [Fact]
    public void Frozen_backbone_tensors_of_a_patched_task_stay_bit_identical_to_the_saved_backbone()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config();
        TinyModels.SaveBackbone(dir.Path, config);
        using var model = new PeterRecModel(config, FineTuneMode.PeterRecSerial, 7, 2);
        ModelStore.LoadBackboneWeights(dir.Path, model.Backbone);
        new FineTuner(new FineTuneOptions { Epochs = 1, Batch = 8 }).Train(model, Pairs(32, 7, seed: 3), [], CPU, new TrainingCurve("mrr_5"));

        var saved = ModelStore.ReadBackboneTensors(dir.Path);
        var trainable = model.TrainableParameters().Select(p => p.Name).ToHashSet();
        foreach (var (name, tensor) in saved.Where(kv => !trainable.Contains("backbone." + kv.Key)))
        {
            var live = model.named_parameters().Single(p => p.name == "backbone." + name).parameter;
            Assert.True(TinyModels.BitEqual(live, tensor), $"backbone.{name} drifted from the saved backbone");
        }
    }
}
