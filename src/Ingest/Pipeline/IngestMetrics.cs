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

    public IngestMetrics(PeterRecMetrics shared)
    {
        var meter = shared.Meter;
        _events = meter.CreateCounter<long>("peterrec.ingest.events", "{event}", "Valid clicks handled, by outcome (applied, redelivered, dropped_late)");
        _windowsUpdated = meter.CreateCounter<long>("peterrec.ingest.windows.updated", "{window}", "User windows that changed");
        _deadLetters = meter.CreateCounter<long>("peterrec.ingest.dead_letters", "{record}", "Records sent to the dead-letter topic, by reason kind");
        _lateDropped = meter.CreateCounter<long>("peterrec.ingest.events.late_dropped", "{event}", "Clicks older than a full window's content");
        _changedUsers = meter.CreateCounter<long>("peterrec.ingest.changed_users", "{user}", "Changed-user announcements delivered");
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
}
