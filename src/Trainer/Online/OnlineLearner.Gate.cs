using PeterRec.Model.Evaluation;
using PeterRec.Model.Storage;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Trainer.Online;

/// <summary>The publish gate: a due version is published only if finite and not worse than the serving one on held-back events.</summary>
public sealed partial class OnlineLearner
{
    /// <summary>True when every trainable tensor (what a published version carries) is finite.</summary>
    public bool TaskStateIsFinite()
    {
        using var scope = NewDisposeScope();
        return _model.TrainableParameters().All(p => p.Param.isfinite().all().item<bool>());
    }

    /// <summary>Remembers the current trainable state as what serving has (call after a publish succeeded).</summary>
    public void MarkPublished() => _published = ModelStore.ExportTaskState(_model);

    /// <summary>Sets a published version's tensors (<see cref="PublishedVersion.Read"/>) as the gate's baseline.</summary>
    /// <exception cref="InvalidDataException">The tensors do not fit this model (names, shapes).</exception>
    public void SetPublishedBaseline(IReadOnlyList<TensorEntry> tensors, string what)
    {
        var current = ModelStore.ExportTaskState(_model);
        try
        {
            ModelStore.LoadTaskEntries(_model, tensors, what); // validates names and shapes
            _published = ModelStore.ExportTaskState(_model);
        }
        finally { ModelStore.ImportTaskState(_model, current, "current state"); }
    }

    /// <summary>
    /// The publish gate. Withholds a candidate that is not finite, or whose metric on the held-back slice (HR@5 for rec,
    /// accuracy for cls; the same sampled negatives for both) is below the published version's by more than
    /// <see cref="LearnerSettings.PublishMargin"/>. Publishes without comparing when there is no baseline yet or fewer
    /// than <see cref="LearnerSettings.HoldoutMinEvents"/> held-back events.
    /// </summary>
    public PublishVerdict CheckCandidate()
    {
        if (!TaskStateIsFinite()) return new PublishVerdict(false, "nonfinite_patch");
        if (_published is null) return new PublishVerdict(true, "no_baseline");
        var slice = Holdout.Snapshot();
        if (slice.Count < Settings.HoldoutMinEvents || slice.Count == 0) return new PublishVerdict(true, "few_events");
        var candidate = Evaluate(slice);
        var current = ModelStore.ExportTaskState(_model);
        double baseline;
        try
        {
            ModelStore.ImportTaskState(_model, _published, "published version");
            baseline = Evaluate(slice);
        }
        finally { ModelStore.ImportTaskState(_model, current, "current state"); }
        var publish = !(candidate < baseline - Settings.PublishMargin);
        return new PublishVerdict(publish, publish ? "ok" : "worse_on_holdout", candidate, baseline, slice.Count);
    }

    private double Evaluate(IReadOnlyList<(int[] Source, int Row)> slice)
    {
        var rng = new Random(Settings.Seed);
        var metric = new RankingMetrics();
        var used = Targets.Count;
        _model.eval();
        using var _ = no_grad();
        for (int start = 0; start < slice.Count; start += Settings.MicroBatch)
        {
            using var scope = NewDisposeScope();
            var part = slice.Skip(start).Take(Settings.MicroBatch).ToList();
            var ids = Sequences.LeftPad(part.Select(b => b.Source).ToList(), _model.Config.MaxSeq, _device);
            var scores = _model.Scores(_model.forward(ids)).narrow(1, 0, used).cpu().data<float>().ToArray();
            for (int i = 0; i < part.Count; i++)
            {
                var row = new ReadOnlySpan<float>(scores, i * used, used);
                // A non-finite model earns nothing for this event.
                var rank = AllFinite(row) ? RankOf(row, part[i].Row, rng) : used;
                if (rank is { } r) metric.AddRank(r);
            }
        }
        return Settings.IsClassification ? metric.Accuracy : metric.Hr;
    }
}
