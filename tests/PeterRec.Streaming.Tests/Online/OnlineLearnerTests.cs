using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Trainer.Online;
using static TorchSharp.torch;

namespace PeterRec.Streaming.Tests.Online;

public sealed class OnlineLearnerTests : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-ckpt-{Guid.NewGuid():N}");

    private static LearnerSettings Rec(int maxTargets = 100) => new()
    {
        Task = "rec", Kind = "rec", MaxTargets = maxTargets, MicroBatch = 32, LearningRate = 3e-2, Device = "cpu", PrequentialWindow = 320,
    };

    private static List<LabeledExample> Examples(OnlineLearner learner, SyntheticTaskStream stream, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => stream.Next()).Select(e => new LabeledExample(learner.EncodeSource(e.Window), e.Label))];

    [Fact]
    public void Prequential_hit_rate_rises_well_above_an_untrained_head_on_a_learnable_stream()
    {
        using var learner = OnlineLearner.Create(Rec(), _backbone.Dir);
        var stream = new SyntheticTaskStream(targets: 30);
        var first = learner.Learn(Examples(learner, stream, 320));
        for (int i = 0; i < 11; i++) learner.Learn(Examples(learner, stream, 320));
        var firstHr = first.Ranks.Count(r => r < 5) / (double)first.Ranks.Count;
        var lastHr = learner.Meter.Window.Hr;
        // 30 labels ranked among 29 others: chance HR@5 is 5/30 ~ 0.17.
        Assert.True(firstHr < 0.35, $"untrained HR@5 {firstHr:F3} should be near chance");
        Assert.True(lastHr > 0.6 && lastHr > firstHr + 0.35, $"HR@5 went from {firstHr:F3} to {lastHr:F3}");
        Assert.Equal(30, learner.Targets.Count);
        Assert.Equal(12 * 10, learner.Step);
    }

    [Fact]
    public void Online_training_leaves_every_frozen_backbone_tensor_bit_identical()
    {
        using var learner = OnlineLearner.Create(Rec(), _backbone.Dir);
        var before = learner.Model.named_parameters().Where(p => !p.parameter.requires_grad)
            .ToDictionary(p => p.name, p => p.parameter.detach().clone());
        Assert.Contains("backbone.item_embedding.weight", before.Keys);
        learner.Learn(Examples(learner, new SyntheticTaskStream(30), 256));
        var after = learner.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in before) Assert.True(TensorAssert.Same(value, after[name]), $"{name} changed");
        var trainable = learner.Model.TrainableParameters().Select(p => p.Name).ToList();
        Assert.All(trainable, n => Assert.True(n.Contains(".patch") || n.Contains(".ln2.") || n is "cls_embedding" or "target_embedding", n));
        using var fresh = new PeterRecModel(learner.Model.Config, FineTuneMode.PeterRecSerial, 100, learner.Model.PatchHidden);
        ModelStore.LoadBackboneWeights(_backbone.Dir, fresh.Backbone);
        var saved = fresh.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in before) Assert.True(TensorAssert.Same(value, saved[name]), $"{name} differs from backbone.bin");
    }

    [Fact]
    public void Checkpoint_round_trip_restores_weights_optimizer_step_version_labels_and_offsets()
    {
        var stream = new SyntheticTaskStream(30);
        using var a = OnlineLearner.Create(Rec(), _backbone.Dir);
        a.Learn(Examples(a, stream, 96));
        a.NextVersion();
        var path = LearnerCheckpoint.PathFor(_dir, "rec");
        LearnerCheckpoint.Save(path, a, new Dictionary<string, long> { ["peterrec.task-events/0"] = 96 });

        using var b = OnlineLearner.Create(Rec(), _backbone.Dir);
        var header = LearnerCheckpoint.Load(path, b);
        Assert.Equal(96, header.Offsets["peterrec.task-events/0"]);
        Assert.Equal((a.Step, a.Version), (b.Step, b.Version));
        Assert.Equal(a.Targets.Labels, b.Targets.Labels);
        Assert.Equal(a.Meter.Total, b.Meter.Total);

        // Same next batch on both: identical weights only if Adam's moments and step counts came back too.
        var next = Examples(a, stream, 64);
        a.Learn(next);
        b.Learn(next);
        var pa = a.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in b.Model.named_parameters()) Assert.True(TensorAssert.Same(p, pa[name]), $"{name} diverged after restore");
    }

    [Fact]
    public void Damaged_checkpoint_is_refused_with_its_path()
    {
        using var a = OnlineLearner.Create(Rec(), _backbone.Dir);
        a.Learn(Examples(a, new SyntheticTaskStream(30), 32));
        var path = LearnerCheckpoint.PathFor(_dir, "rec");
        LearnerCheckpoint.Save(path, a, new Dictionary<string, long>());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);
        using var b = OnlineLearner.Create(Rec(), _backbone.Dir);
        var e = Assert.Throws<InvalidDataException>(() => LearnerCheckpoint.Load(path, b));
        Assert.Contains(path, e.Message);
        Assert.Equal(0, b.Step);
    }

    [Fact]
    public void Full_target_table_refuses_new_labels_without_training_on_them()
    {
        using var learner = OnlineLearner.Create(Rec(maxTargets: 5), _backbone.Dir);
        var result = learner.Learn(Examples(learner, new SyntheticTaskStream(30), 200));
        Assert.Equal(5, learner.Targets.Count);
        Assert.True(result.Refused > 0);
        Assert.Equal(200, result.Trained + result.Refused);
    }

    [Fact]
    public void Closed_class_set_scores_accuracy_and_refuses_unknown_classes()
    {
        var settings = Rec() with { Task = "cls", Kind = "cls", MaxTargets = 4, Classes = ["t0", "t1", "t2", "t3"] };
        using var learner = OnlineLearner.Create(settings, _backbone.Dir);
        var result = learner.Learn(Examples(learner, new SyntheticTaskStream(6), 300));
        Assert.Equal(["t0", "t1", "t2", "t3"], learner.Targets.Labels);
        Assert.InRange(result.Refused, 50, 150); // labels t4, t5: about a third
        Assert.Equal(result.Trained, result.Ranks.Count);
    }

    [Fact]
    public void Exported_version_carries_its_number_labels_and_tensors_that_import_into_a_fresh_model()
    {
        using var learner = OnlineLearner.Create(Rec(), _backbone.Dir);
        learner.Learn(Examples(learner, new SyntheticTaskStream(30), 64));
        var blob = learner.NextVersion();
        var (manifest, tensors) = PublishedVersion.Read(blob, "version");
        Assert.Equal((1L, learner.Step), (manifest.Version, manifest.Step));
        Assert.Equal(learner.Targets.Labels, manifest.Labels);
        using var fresh = new PeterRecModel(learner.Model.Config, FineTuneMode.PeterRecSerial, manifest.Capacity, manifest.PatchHidden);
        ModelStore.LoadTaskEntries(fresh, tensors, "version");
        Assert.True(TensorAssert.Same(fresh.TargetWeight, learner.Model.TargetWeight));
        blob[blob.Length / 2] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => PublishedVersion.Read(blob, "version"));
    }

    public void Dispose()
    {
        _backbone.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
