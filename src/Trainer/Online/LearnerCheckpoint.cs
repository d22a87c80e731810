using System.Text.Json;
using PeterRec.Model.Storage;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Trainer.Online;

/// <summary>The learner's bookkeeping in a checkpoint (the tensors and optimizer state travel beside it).</summary>
public sealed record CheckpointHeader
{
    public required string Task { get; init; }
    public required string Kind { get; init; }
    public required long Step { get; init; }
    public required long Version { get; init; }
    public required long TrainedEvents { get; init; }
    public required int Capacity { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required string BackboneFingerprint { get; init; }
    /// <summary>Next offset to train per "topic/partition": every record before it is in this checkpoint.</summary>
    public required IReadOnlyDictionary<string, long> Offsets { get; init; }
    public required PrequentialTotals Prequential { get; init; }
    public required IReadOnlyList<long> RecentRanks { get; init; }
    /// <summary>The popularity baseline: label counts, totals and window (absent in checkpoints written before it existed).</summary>
    public IReadOnlyDictionary<string, long>? BaselineCounts { get; init; }
    public PrequentialTotals? BaselinePrequential { get; init; }
    public IReadOnlyList<long>? BaselineRecentRanks { get; init; }
    /// <summary>The newest rollback version the learner continued from (absent or 0: none).</summary>
    public long RolledBackTo { get; init; }
}

/// <summary>Adam's settings as the checkpoint records them (<c>peterrec.optimizer</c>).</summary>
public sealed record OptimizerSettings(string Type, double Lr, double Beta1, double Beta2, double Eps, double WeightDecay);

/// <summary>
/// One file per task, <c>&lt;dir&gt;/&lt;task&gt;.ckpt</c>: a sealed safetensors file (<see cref="TensorFile"/>, kind
/// <c>checkpoint</c>) replaced atomically (write, fsync, rename). Tensors: the task's trainable tensors (task-file
/// names, <see cref="ParameterNames"/>) and Adam's state per tensor, <c>optimizer.&lt;name&gt;.exp_avg</c>,
/// <c>.exp_avg_sq</c> (F32) and <c>.step</c> (I64 scalar). Metadata: <c>peterrec.header</c> (<see cref="CheckpointHeader"/>
/// JSON) and <c>peterrec.optimizer</c> (<see cref="OptimizerSettings"/>). A crash leaves either the old or the new
/// checkpoint, never a mix; a damaged file is refused with its path rather than silently restarting from scratch.
/// </summary>
public static class LearnerCheckpoint
{
    public const string Kind = "checkpoint";
    public const string HeaderKey = "peterrec.header";
    public const string OptimizerKey = "peterrec.optimizer";
    private const string OptimizerPrefix = "optimizer.";

    public static string PathFor(string dir, string task) =>
        Path.Combine(dir, $"{Uri.EscapeDataString(task)}.ckpt");

    public static void Save(string path, OnlineLearner learner, IReadOnlyDictionary<string, long> offsets)
    {
        var header = new CheckpointHeader
        {
            Task = learner.Settings.Task, Kind = learner.Settings.Kind, Step = learner.Step, Version = learner.Version, TrainedEvents = learner.TrainedEvents,
            Capacity = learner.Settings.MaxTargets, Labels = [.. learner.Targets.Labels],
            BackboneFingerprint = learner.BackboneFingerprint, Offsets = offsets,
            Prequential = learner.Meter.Total, RecentRanks = learner.Meter.RecentRanks,
            BaselineCounts = learner.Baseline.Counts, BaselinePrequential = learner.Baseline.Meter.Total,
            BaselineRecentRanks = learner.Baseline.Meter.RecentRanks, RolledBackTo = learner.RolledBackTo,
        };
        var entries = ModelStore.TaskEntries(learner.Model);
        var (settings, states) = AdamState(learner);
        var weights = entries.Count;
        for (int i = 0; i < weights; i++)
        {
            var name = OptimizerPrefix + entries[i].Name;
            entries.Add(TensorBundle.ToEntry($"{name}.exp_avg", states[i].exp_avg));
            entries.Add(TensorBundle.ToEntry($"{name}.exp_avg_sq", states[i].exp_avg_sq));
            entries.Add(TensorEntry.Int64($"{name}.step", states[i].step));
        }
        var metadata = new Dictionary<string, string>
        {
            [HeaderKey] = JsonSerializer.Serialize(header, ModelStore.CompactJson),
            [OptimizerKey] = JsonSerializer.Serialize(settings, ModelStore.CompactJson),
        };
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        ModelStore.AtomicWrite(path, TensorFile.Write(Kind, metadata, entries));
    }

    /// <summary>Restores a learner built with the same settings and backbone; returns the header (offsets etc.).</summary>
    public static CheckpointHeader Load(string path, OnlineLearner learner)
    {
        var file = TensorFile.Read(File.ReadAllBytes(path), path, Kind);
        CheckpointHeader header;
        OptimizerSettings optimizer;
        try
        {
            header = JsonSerializer.Deserialize<CheckpointHeader>(file.Metadata.GetValueOrDefault(HeaderKey) ?? "null", ModelStore.Json)
                     ?? throw new InvalidDataException($"{path}: no {HeaderKey} metadata");
            optimizer = JsonSerializer.Deserialize<OptimizerSettings>(file.Metadata.GetValueOrDefault(OptimizerKey) ?? "null", ModelStore.Json)
                        ?? throw new InvalidDataException($"{path}: no {OptimizerKey} metadata");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: checkpoint metadata is not valid: {e.Message}", e);
        }
        var s = learner.Settings;
        if (header.Task != s.Task || header.Kind != s.Kind || header.Capacity != s.MaxTargets)
            throw new InvalidDataException(
                $"{path}: checkpoint is for task '{header.Task}' ({header.Kind}, {header.Capacity} targets), the trainer is configured for '{s.Task}' ({s.Kind}, {s.MaxTargets} targets)");
        if (header.BackboneFingerprint != learner.BackboneFingerprint)
            throw new InvalidDataException($"{path}: checkpoint was trained over backbone {header.BackboneFingerprint}, the loaded backbone is {learner.BackboneFingerprint}");
        if (s.Classes.Count > 0 && !header.Labels.SequenceEqual(s.Classes))
            throw new InvalidDataException($"{path}: checkpoint classes [{string.Join(",", header.Labels)}] differ from Trainer:Classes [{string.Join(",", s.Classes)}]");
        var byName = file.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var weights = file.Tensors.Where(t => !t.Name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)).ToList();
        // Check every optimizer entry before anything is copied, so a refused file leaves the learner as it was.
        var names = ModelStore.TaskEntries(learner.Model).Select(e => e.Name).ToList();
        var moments = names.Select(n => (
            Avg: Entry(byName, $"{OptimizerPrefix}{n}.exp_avg", path),
            Sq: Entry(byName, $"{OptimizerPrefix}{n}.exp_avg_sq", path),
            Step: Entry(byName, $"{OptimizerPrefix}{n}.step", path).AsInt64Scalar())).ToList();
        if (optimizer.Type != "adam") throw new InvalidDataException($"{path}: optimizer '{optimizer.Type}', the trainer uses adam");
        var current = ModelStore.ExportTaskState(learner.Model);
        try
        {
            ModelStore.LoadTaskEntries(learner.Model, weights, path);
            SetAdamState(learner, optimizer, moments, path);
        }
        catch
        {
            ModelStore.ImportTaskState(learner.Model, current, "state before the refused checkpoint");
            throw;
        }
        learner.Targets = new TargetTable(s.MaxTargets, closed: s.Classes.Count > 0, header.Labels);
        learner.Step = header.Step;
        learner.Version = header.Version;
        learner.TrainedEvents = header.TrainedEvents;
        learner.RolledBackTo = header.RolledBackTo;
        learner.Meter.Restore(header.Prequential, header.RecentRanks);
        if (header.BaselineCounts is { } counts)
            learner.Baseline.Restore(counts, header.BaselinePrequential ?? new PrequentialTotals(), header.BaselineRecentRanks ?? []);
        return header;
    }

    private static TensorEntry Entry(Dictionary<string, TensorEntry> byName, string name, string path) =>
        byName.GetValueOrDefault(name) ?? throw new InvalidDataException($"{path}: optimizer state '{name}' is missing");

    /// <summary>Adam's per-tensor state, in the order of the trainable tensors (the order the optimizer was given them).</summary>
    private static (OptimizerSettings Settings, IReadOnlyList<Adam.State> States) AdamState(OnlineLearner learner)
    {
        var dict = learner.Optimizer.state_dict();
        var options = (Adam.Options)dict.Options[0];
        var trainable = learner.Model.TrainableParameters().ToList();
        var states = dict.State.Cast<Adam.State>().ToList();
        if (states.Count != trainable.Count)
            throw new InvalidOperationException($"Adam holds state for {states.Count} tensors, the model trains {trainable.Count}");
        for (int i = 0; i < states.Count; i++)
            if (!states[i].exp_avg.shape.SequenceEqual(trainable[i].Param.shape))
                throw new InvalidOperationException($"Adam's state {i} has shape [{string.Join(",", states[i].exp_avg.shape)}], '{trainable[i].Name}' is [{string.Join(",", trainable[i].Param.shape)}]");
        return (new OptimizerSettings("adam", options.LearningRate ?? double.NaN, options.beta1 ?? 0.9, options.beta2 ?? 0.999,
            options.eps ?? 1e-8, options.weight_decay ?? 0), states);
    }

    private static void SetAdamState(OnlineLearner learner, OptimizerSettings settings,
        IReadOnlyList<(TensorEntry Avg, TensorEntry Sq, long Step)> moments, string path)
    {
        var (current, states) = AdamState(learner);
        if (current.Beta1 != settings.Beta1 || current.Beta2 != settings.Beta2 || current.Eps != settings.Eps || current.WeightDecay != settings.WeightDecay)
            throw new InvalidDataException($"{path}: Adam settings {settings} differ from the trainer's {current}");
        var pairs = states.SelectMany((st, i) => new[] { (Entry: moments[i].Avg, Target: st.exp_avg), (Entry: moments[i].Sq, Target: st.exp_avg_sq) }).ToList();
        foreach (var (entry, target) in pairs)
            if (!entry.Shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"{path}: '{entry.Name}' has shape [{string.Join(",", entry.Shape)}], expected [{string.Join(",", target.shape)}]");
        using var _ = no_grad();
        foreach (var (entry, target) in pairs)
        {
            using var value = tensor(entry.AsFloats(), entry.Shape);
            target.copy_(value);
        }
        for (int i = 0; i < states.Count; i++) states[i].step = moments[i].Step;
        foreach (var group in learner.Optimizer.ParamGroups) group.LearningRate = settings.Lr;
    }
}
