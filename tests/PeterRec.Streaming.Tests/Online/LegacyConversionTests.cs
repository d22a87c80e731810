using System.Text.Json;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Trainer.Online;
using static TorchSharp.torch;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>Artifacts of the retired formats are refused with the command that converts them, and convert without loss.</summary>
public sealed class LegacyConversionTests : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-legacy-{Guid.NewGuid():N}");

    [Fact]
    public void Old_backbone_and_task_directories_are_refused_naming_convert_and_score_identically_once_converted()
    {
        var backbone = Path.Combine(_dir, "backbone");
        var task = Path.Combine(_dir, "task");
        var bin = LegacyFiles.Backbone(_backbone.Dir, backbone);
        var config = ModelStore.LoadBackboneConfig(_backbone.Dir);
        manual_seed(3);
        using var model = new PeterRecModel(config, FineTuneMode.PeterRecSerial, 6, 4);
        ModelStore.LoadBackboneWeights(_backbone.Dir, model.Backbone);
        using (no_grad())
            foreach (var (_, p) in model.TrainableParameters()) p.add_(randn_like(p) * 0.1);
        Directory.CreateDirectory(task);
        File.WriteAllBytes(Path.Combine(task, "task.bin"), LegacyFiles.Bundle(model.TrainableParameters().Select(p => (p.Name, (Tensor)p.Param))));
        File.WriteAllText(Path.Combine(task, "task.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["task"] = "rec", ["mode"] = "peterrec-serial", ["targets"] = 6, ["patch_hidden"] = 4, ["backbone_fingerprint"] = LegacyFiles.Fingerprint(bin), ["version"] = 0,
        }));
        Vocabulary.Build(Enumerable.Range(0, 6).Select(i => $"t{i}"), []).Save(Path.Combine(task, "target_vocab.txt"));

        Assert.Contains("peterrec convert", Assert.Throws<InvalidDataException>(() => ModelStore.LoadTask(backbone, task, CPU)).Message);
        Assert.NotNull(LegacyArtifacts.ConvertBackbone(backbone));
        Assert.Contains("peterrec convert", Assert.Throws<InvalidDataException>(() => ModelStore.LoadTask(backbone, task, CPU)).Message);
        Assert.NotNull(LegacyArtifacts.ConvertTask(task, backbone));
        Assert.Null(LegacyArtifacts.ConvertTask(task, backbone)); // idempotent

        var (loaded, manifest, _) = ModelStore.LoadTask(backbone, task, CPU);
        using var _ = loaded;
        Assert.Equal(ModelStore.Fingerprint(backbone), manifest.BackboneFingerprint);
        model.eval();
        using var ng = no_grad();
        using var ids = tensor(Enumerable.Range(0, 4 * config.MaxSeq).Select(i => (long)(2 + i % (config.Items - 2))).ToArray(), [4, config.MaxSeq]);
        Assert.True(TensorAssert.Same(model.Scores(model.forward(ids)), loaded.Scores(loaded.forward(ids))));
    }

    [Fact]
    public void A_task_of_another_backbone_is_not_converted()
    {
        var backbone = Path.Combine(_dir, "backbone");
        LegacyFiles.Backbone(_backbone.Dir, backbone);
        LegacyArtifacts.ConvertBackbone(backbone);
        var task = Path.Combine(_dir, "task");
        Directory.CreateDirectory(task);
        File.WriteAllBytes(Path.Combine(task, "task.bin"), LegacyFiles.Bundle([]));
        File.WriteAllText(Path.Combine(task, "task.json"), """{"task":"rec","mode":"peterrec-serial","targets":1,"patch_hidden":4,"backbone_fingerprint":"0123456789abcdef"}""");
        var e = Assert.Throws<InvalidDataException>(() => LegacyArtifacts.ConvertTask(task, backbone));
        Assert.Contains("0123456789abcdef", e.Message);
        Assert.False(File.Exists(Path.Combine(task, ModelStore.TaskFile)));
    }

    [Fact]
    public void An_old_checkpoint_converts_to_one_that_resumes_training_bit_identically()
    {
        var settings = new LearnerSettings { Task = "rec", MaxTargets = 40, MicroBatch = 32, LearningRate = 3e-2, Device = "cpu" };
        var stream = new SyntheticTaskStream(20);
        List<LabeledExample> Examples(OnlineLearner l, int n) =>
            [.. Enumerable.Range(0, n).Select(_ => stream.Next()).Select(e => new LabeledExample(l.EncodeSource(e.Window), e.Label))];
        using var a = OnlineLearner.Create(settings, _backbone.Dir);
        a.Learn(Examples(a, 96));
        a.NextVersion();
        var path = LearnerCheckpoint.PathFor(_dir, "rec");
        Directory.CreateDirectory(_dir);
        LegacyFiles.Checkpoint(path, a, new Dictionary<string, long> { ["peterrec.task-events/0"] = 96 });

        using (var refused = OnlineLearner.Create(settings, _backbone.Dir))
            Assert.Contains("peterrec convert", Assert.Throws<InvalidDataException>(() => LearnerCheckpoint.Load(path, refused)).Message);
        Assert.NotNull(LegacyCheckpoint.Convert(path, _backbone.Dir));
        Assert.True(File.Exists(Path.ChangeExtension(path, ".prck")));

        using var b = OnlineLearner.Create(settings, _backbone.Dir);
        var header = LearnerCheckpoint.Load(path, b);
        Assert.Equal(96, header.Offsets["peterrec.task-events/0"]);
        Assert.Equal((a.Step, a.Version, a.Targets.Labels.Count), (b.Step, b.Version, b.Targets.Labels.Count));
        var next = Examples(a, 64);
        a.Learn(next);
        b.Learn(next);
        var pa = a.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in b.Model.named_parameters()) Assert.True(TensorAssert.Same(p, pa[name]), $"{name} diverged after conversion");
    }

    public void Dispose()
    {
        _backbone.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}
