using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Tests.Data;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public class SaveLoadTests
{
    [Theory]
    [InlineData("peterrec-serial", false)]
    [InlineData("peterrec-parallel", false)]
    [InlineData("fineall", false)]
    [InlineData("finecls", true)]
    [InlineData("scratch", false)]
    public void Saved_then_loaded_task_gives_identical_scores(string modeName, bool masked)
    {
        using var dir = new TempDir();
        var backboneDir = Path.Combine(dir.Path, "backbone");
        var taskDir = Path.Combine(dir.Path, "task");
        var config = TinyModels.Config(masked);
        TinyModels.SaveBackbone(backboneDir, config);
        var mode = FineTuneModes.Parse(modeName);
        using var model = new PeterRecModel(config, mode, 9, 3);
        if (mode.UsesPretrainedWeights()) ModelStore.LoadBackboneWeights(backboneDir, model.Backbone);
        using (no_grad())
            foreach (var (_, p) in model.TrainableParameters()) p.add_(randn_like(p) * 0.1); // "trained"
        var targets = Vocabulary.Build(Enumerable.Range(0, 9).Select(i => $"t{i}"), []);
        ModelStore.SaveTask(taskDir, model, new TaskManifest { Task = "rec", Mode = modeName, Targets = 9, PatchHidden = model.PatchHidden, BackboneFingerprint = ModelStore.Fingerprint(backboneDir) }, targets);

        var (loaded, manifest, loadedTargets) = ModelStore.LoadTask(backboneDir, taskDir, CPU);
        using var _ = loaded;
        model.eval();
        using var ng = no_grad();
        var ids = TinyModels.RandomIds(5, 10, config.Items - 1, seed: 9);
        Assert.True(TinyModels.BitEqual(model.Scores(model.forward(ids)), loaded.Scores(loaded.forward(ids))));
        Assert.Equal(targets, loadedTargets);
        Assert.Equal(modeName, manifest.Mode);
    }

    [Fact]
    public void Task_directory_holds_only_what_the_mode_trains()
    {
        using var dir = new TempDir();
        var config = TinyModels.Config();
        using var model = new PeterRecModel(config, FineTuneMode.PeterRecSerial, 9, 2);
        var blob = ModelStore.ExportTaskState(model);
        var names = TensorBundle.Read(blob, "task").Keys.ToHashSet();
        Assert.Equal(model.TrainableParameters().Select(p => p.Name).ToHashSet(), names);
        Assert.DoesNotContain(names, n => n.Contains("conv1.conv") || n.Contains("item_embedding"));
    }
}
