using System.Diagnostics.Metrics;
using PeterRec.Hosting;
using PeterRec.Trainer.Online;

namespace PeterRec.Trainer.Hosting;

/// <summary>The Trainer's instruments on the shared <c>PeterRec</c> meter; labels are low-cardinality (task, outcome).</summary>
public sealed class TrainerMetrics
{
    private readonly Counter<long> _steps, _events, _publishes, _skipped, _withheld, _rollbacks;
    private readonly Histogram<double> _loss, _checkpoint;
    private readonly Histogram<long> _stepBatch;
    private OnlineLearner? _learner;

    public TrainerMetrics(PeterRecMetrics shared)
    {
        Shared = shared;
        var meter = shared.Meter;
        _steps = meter.CreateCounter<long>("peterrec.trainer.steps", "{step}", "Optimizer steps");
        _events = meter.CreateCounter<long>("peterrec.trainer.events", "{event}",
            "Task events by outcome: trained, held_out, refused (target table full / unknown class), other_task, invalid, redelivered");
        _publishes = meter.CreateCounter<long>("peterrec.trainer.publishes", "{patch}", "Patch versions published");
        _skipped = meter.CreateCounter<long>("peterrec.trainer.steps.skipped", "{step}",
            "Micro-batches not stepped, by reason: nonfinite_loss, nonfinite_gradient, gradient_norm");
        _withheld = meter.CreateCounter<long>("peterrec.trainer.publishes.withheld", "{patch}",
            "Due patch versions not published, by reason: nonfinite_patch, worse_on_holdout");
        _rollbacks = meter.CreateCounter<long>("peterrec.trainer.rollbacks", "{rollback}",
            "Rollback versions (peterrec patch rollback) the trainer continued from");
        _loss = meter.CreateHistogram<double>("peterrec.trainer.loss", "1", "Mean training loss per consumed batch");
        _checkpoint = meter.CreateHistogram<double>("peterrec.trainer.checkpoint.duration", "s", "Time to write a checkpoint durably",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Seconds });
        _stepBatch = meter.CreateHistogram<long>("peterrec.trainer.step.batch.size", "{event}", "Events per consumed batch that were trained on");
        meter.CreateObservableGauge("peterrec.trainer.patch.version", () => Observe(l => l.Version), "{version}", "Newest patch version");
        meter.CreateObservableGauge("peterrec.trainer.prequential", ObservePrequential, "1",
            "Prequential (score-then-train) quality: metric = hr_5 | mrr_5 | accuracy, over = window | total");
        meter.CreateObservableGauge("peterrec.trainer.baseline", () => ObserveQuality(l => l.Baseline.Meter), "1",
            "Popularity baseline (label counts so far; majority class for cls) scored on the same events and window as peterrec.trainer.prequential");
        meter.CreateObservableGauge("peterrec.trainer.lift", ObserveLift, "1",
            "Prequential quality over the popularity baseline's (absent while the baseline is 0)");
    }

    public PeterRecMetrics Shared { get; }

    /// <summary>The reasons <c>peterrec.trainer.publishes.withheld</c> counts.</summary>
    public static readonly string[] WithheldReasons = ["nonfinite_patch", "worse_on_holdout"];

    public void Track(OnlineLearner learner)
    {
        _learner = learner;
        // Zero from the start: an alert on increase(withheld) then fires on the first withheld version, not the second.
        foreach (var reason in WithheldReasons) _withheld.Add(0, Task(learner.Settings.Task), new KeyValuePair<string, object?>("reason", reason));
    }

    public void Learned(string task, LearnResult result)
    {
        var t = Task(task);
        if (result.Steps > 0) { _steps.Add(result.Steps, t); _loss.Record(result.MeanLoss, t); _stepBatch.Record(result.Trained, t); }
        Event(task, "trained", result.Trained);
        Event(task, "refused", result.Refused);
        Event(task, "held_out", result.HeldOut);
        foreach (var (reason, count) in result.Skipped ?? new Dictionary<string, int>())
            _skipped.Add(count, t, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Withheld(string task, string reason) => _withheld.Add(1, Task(task), new KeyValuePair<string, object?>("reason", reason));

    public void Event(string task, string outcome, long count)
    {
        if (count > 0) _events.Add(count, Task(task), new KeyValuePair<string, object?>("outcome", outcome));
    }

    public void Published(string task) => _publishes.Add(1, Task(task));

    public void RolledBack(string task) => _rollbacks.Add(1, Task(task));

    public void Checkpointed(string task, TimeSpan duration) => _checkpoint.Record(duration.TotalSeconds, Task(task));

    private static KeyValuePair<string, object?> Task(string task) => new("task", task);

    private IEnumerable<Measurement<long>> Observe(Func<OnlineLearner, long> read)
    {
        if (_learner is { } l) yield return new Measurement<long>(read(l), Task(l.Settings.Task));
    }

    private IEnumerable<Measurement<double>> ObservePrequential() => ObserveQuality(l => l.Meter);

    private IEnumerable<Measurement<double>> ObserveQuality(Func<OnlineLearner, PrequentialMeter> meter)
    {
        if (_learner is not { } l) yield break;
        var m = meter(l);
        foreach (var (over, totals) in new[] { ("window", m.Window), ("total", m.Total) })
        {
            if (totals.Count == 0) continue;
            foreach (var (metric, value) in Metrics(l, totals)) yield return new Measurement<double>(value, Tags(l, metric, over));
        }
    }

    private IEnumerable<Measurement<double>> ObserveLift()
    {
        if (_learner is not { } l) yield break;
        foreach (var (over, model, baseline) in new[] { ("window", l.Meter.Window, l.Baseline.Meter.Window), ("total", l.Meter.Total, l.Baseline.Meter.Total) })
        {
            if (model.Count == 0) continue;
            var b = Metrics(l, baseline).ToDictionary();
            foreach (var (metric, value) in Metrics(l, model))
                if (PopularityBaseline.Lift(value, b[metric]) is { } lift) yield return new Measurement<double>(lift, Tags(l, metric, over));
        }
    }

    private static IEnumerable<(string Metric, double Value)> Metrics(OnlineLearner l, PrequentialTotals totals) =>
        l.Settings.IsClassification ? [("accuracy", totals.Accuracy)] : [("hr_5", totals.Hr), ("mrr_5", totals.Mrr)];

    private static KeyValuePair<string, object?>[] Tags(OnlineLearner l, string metric, string over) =>
        [Task(l.Settings.Task), new("metric", metric), new("over", over)];
}
