using System.Diagnostics.Metrics;
using PeterRec.Hosting;
using PeterRec.Trainer.Online;

namespace PeterRec.Trainer.Hosting;

/// <summary>The Trainer's instruments on the shared <c>PeterRec</c> meter; labels are low-cardinality (task, outcome).</summary>
public sealed class TrainerMetrics
{
    private readonly Counter<long> _steps, _events, _publishes, _skipped, _withheld;
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
        _loss = meter.CreateHistogram<double>("peterrec.trainer.loss", "1", "Mean training loss per consumed batch");
        _checkpoint = meter.CreateHistogram<double>("peterrec.trainer.checkpoint.duration", "s", "Time to write a checkpoint durably",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Seconds });
        _stepBatch = meter.CreateHistogram<long>("peterrec.trainer.step.batch.size", "{event}", "Events per consumed batch that were trained on");
        meter.CreateObservableGauge("peterrec.trainer.patch.version", () => Observe(l => l.Version), "{version}", "Newest patch version");
        meter.CreateObservableGauge("peterrec.trainer.prequential", ObservePrequential, "1",
            "Prequential (score-then-train) quality: metric = hr_5 | mrr_5 | accuracy, over = window | total");
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

    public void Checkpointed(string task, TimeSpan duration) => _checkpoint.Record(duration.TotalSeconds, Task(task));

    private static KeyValuePair<string, object?> Task(string task) => new("task", task);

    private IEnumerable<Measurement<long>> Observe(Func<OnlineLearner, long> read)
    {
        if (_learner is { } l) yield return new Measurement<long>(read(l), Task(l.Settings.Task));
    }

    private IEnumerable<Measurement<double>> ObservePrequential()
    {
        if (_learner is not { } l) yield break;
        foreach (var (over, totals) in new[] { ("window", l.Meter.Window), ("total", l.Meter.Total) })
        {
            if (totals.Count == 0) continue;
            KeyValuePair<string, object?>[] Tags(string metric) => [Task(l.Settings.Task), new("metric", metric), new("over", over)];
            if (l.Settings.IsClassification) yield return new Measurement<double>(totals.Accuracy, Tags("accuracy"));
            else
            {
                yield return new Measurement<double>(totals.Hr, Tags("hr_5"));
                yield return new Measurement<double>(totals.Mrr, Tags("mrr_5"));
            }
        }
    }
}
