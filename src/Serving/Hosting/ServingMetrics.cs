using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using PeterRec.Hosting;

namespace PeterRec.Serving.Hosting;

/// <summary>The Serving role's instruments on the shared <c>PeterRec</c> meter (labels: task, outcome; never users).</summary>
public sealed class ServingMetrics
{
    private readonly Counter<long> _users, _swaps;
    private readonly Histogram<double> _freshness, _forward, _queued, _read, _write;
    private readonly Histogram<long> _batch;
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);

    public ServingMetrics(PeterRecMetrics shared)
    {
        Shared = shared;
        var meter = shared.Meter;
        _users = meter.CreateCounter<long>("peterrec.serving.users", "{user}", "Users handled, by task and outcome: written, no_window, no_patch (kept pending until the first version), pending_written, rescored (background)");
        _swaps = meter.CreateCounter<long>("peterrec.serving.patch.swaps", "{patch}", "Patch versions swapped into service");
        // Sub-second buckets: the target is p99 <= 1 s, which the default (0, 5, 10, ...) buckets cannot resolve.
        _freshness = meter.CreateHistogram("peterrec.serving.freshness", "s", "Newest click's event time to its recommendations written",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5, 10, 30, 60] });
        _forward = meter.CreateHistogram<double>("peterrec.serving.forward.duration", "s", "Backbone + patch forward and top-N of one task batch",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Seconds });
        // The freshness stages after Ingest's (peterrec.ingest.click_to_window / announce.duration); forward is above.
        _queued = meter.CreateHistogram<double>("peterrec.serving.announce_to_batch.duration", "s",
            "Changed-user record's Kafka timestamp to the start of the Serving batch that handles it");
        _read = meter.CreateHistogram<double>("peterrec.serving.window_read.duration", "s", "Reading and encoding one batch's windows");
        _write = meter.CreateHistogram<double>("peterrec.serving.recs_write.duration", "s", "Scoring done to one batch's recommendations acknowledged by Redis");
        _batch = meter.CreateHistogram<long>("peterrec.serving.batch.size", "{user}", "Distinct users per scored batch");
        meter.CreateObservableGauge("peterrec.serving.patch.version", () =>
            _versions.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("task", kv.Key))), "{version}", "Patch version in service");
    }

    public PeterRecMetrics Shared { get; }

    public void Users(string task, string outcome, long count) =>
        _users.Add(count, new KeyValuePair<string, object?>("task", task), new KeyValuePair<string, object?>("outcome", outcome));

    public void Scored(string task, int users, TimeSpan forward)
    {
        _batch.Record(users, new KeyValuePair<string, object?>("task", task));
        _forward.Record(forward.TotalSeconds, new KeyValuePair<string, object?>("task", task));
    }

    public void Fresh(double seconds) => _freshness.Record(seconds);

    public void Queued(double seconds) => _queued.Record(Math.Max(0, seconds));

    public void WindowsRead(TimeSpan elapsed) => _read.Record(elapsed.TotalSeconds);

    public void RecsWritten(TimeSpan elapsed) => _write.Record(elapsed.TotalSeconds);

    public void Swapped(string task, long version)
    {
        _versions[task] = version;
        _swaps.Add(1, new KeyValuePair<string, object?>("task", task));
    }
}
