using PeterRec.Contracts;
using PeterRec.Model.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Trainer.Online;

/// <summary>Continuing from a rolled-back version: its weights and labels replace the learner's own.</summary>
public sealed partial class OnlineLearner
{
    /// <summary>The newest rollback version this learner continued from (0 = none); a checkpoint keeps it.</summary>
    public long RolledBackTo { get; internal set; }

    /// <summary>
    /// Takes a rollback version (<see cref="VersionManifest.RollbackOf"/>) as the current state: its task tensors, its
    /// target table and its number. Adam starts afresh (its moments belong to the weights being dropped) and the
    /// held-back slice is emptied (its rows may not exist in the older table); the version becomes the gate's baseline.
    /// </summary>
    /// <exception cref="InvalidDataException">The version does not fit this learner (task, backbone, capacity, classes, shapes); nothing changed.</exception>
    public void Adopt(VersionManifest manifest, IReadOnlyList<TensorEntry> tensors, string what)
    {
        var s = Settings;
        if (manifest.Task != s.Task || manifest.Kind != s.Kind || manifest.Capacity != s.MaxTargets || manifest.BackboneFingerprint != BackboneFingerprint)
            throw new InvalidDataException($"{what}: version of task '{manifest.Task}' ({manifest.Kind}, {manifest.Capacity} targets, backbone {manifest.BackboneFingerprint}) does not fit this trainer");
        if (s.Classes.Count > 0 && !manifest.Labels.SequenceEqual(s.Classes))
            throw new InvalidDataException($"{what}: classes [{string.Join(",", manifest.Labels)}] differ from Trainer:Classes");
        var current = ModelStore.ExportTaskState(_model);
        try { ModelStore.LoadTaskEntries(_model, tensors, what); }
        catch
        {
            ModelStore.ImportTaskState(_model, current, "state before the refused version");
            throw;
        }
        Targets = new TargetTable(s.MaxTargets, closed: s.Classes.Count > 0, manifest.Labels);
        Version = manifest.Version;
        RolledBackTo = manifest.Version;
        LastGate = null;
        Holdout.Clear();
        _optimizer.Dispose();
        _optimizer = optim.Adam(_model.TrainableParameters().Select(p => p.Param), s.LearningRate);
        MarkPublished();
    }
}
