using System.Diagnostics.Metrics;
using PeterRec.Hosting;

namespace PeterRec.Ingest.Pipeline;

/// <summary>Ingest's instruments on the shared <c>PeterRec</c> meter (Kafka batch/lag instruments come from the loop).</summary>
public sealed class IngestMetrics
{
    private readonly Counter<long> _events;
    private readonly Counter<long> _windowsUpdated;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _lateDropped;
    private readonly Counter<long> _changedUsers;
    private readonly Histogram<double> _clickToWindow, _announce;

    public IngestMetrics(PeterRecMetrics shared)
    {
        var meter = shared.Meter;
        _events = meter.CreateCounter<long>("peterrec.ingest.events", "{event}", "Valid clicks handled, by outcome (applied, redelivered, dropped_late)");
        _windowsUpdated = meter.CreateCounter<long>("peterrec.ingest.windows.updated", "{window}", "User windows that changed");
        _deadLetters = meter.CreateCounter<long>("peterrec.ingest.dead_letters", "{record}", "Records sent to the dead-letter topic, by reason kind");
        _lateDropped = meter.CreateCounter<long>("peterrec.ingest.events.late_dropped", "{event}", "Clicks older than a full window's content");
        _changedUsers = meter.CreateCounter<long>("peterrec.ingest.changed_users", "{user}", "Changed-user announcements delivered");
        // The first two stages of click-to-recommendations freshness (Serving measures the rest).
        _clickToWindow = meter.CreateHistogram<double>("peterrec.ingest.click_to_window.duration", "s",
            "Newest click record's Kafka timestamp to its user's window durable in Redis, per announced user");
        _announce = meter.CreateHistogram<double>("peterrec.ingest.announce.duration", "s",
            "Window durable in Redis to its changed-user announcement acknowledged by Kafka");
    }

    public void Record(Windows.WindowWriteResult result)
    {
        _events.Add(result.Applied, new KeyValuePair<string, object?>("outcome", "applied"));
        if (result.Redelivered > 0) _events.Add(result.Redelivered, new KeyValuePair<string, object?>("outcome", "redelivered"));
        _windowsUpdated.Add(result.WindowsUpdated);
        if (result.LateDropped > 0) _events.Add(result.LateDropped, new KeyValuePair<string, object?>("outcome", "dropped_late"));
        // Added even when 0: the series exists from the first batch, so dashboards and rate() see a real zero.
        _lateDropped.Add(result.LateDropped);
    }

    public void DeadLetter(string kind) => _deadLetters.Add(1, new KeyValuePair<string, object?>("reason", kind));

    public void ChangedUsers(int count) => _changedUsers.Add(count);

    public void ClickToWindow(double seconds) => _clickToWindow.Record(Math.Max(0, seconds));

    public void Announced(double seconds) => _announce.Record(Math.Max(0, seconds));
}
