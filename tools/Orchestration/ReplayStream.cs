using PeterRec.Producers;
using PeterRec.Contracts;

namespace PeterRec.Orchestration;

/// <summary>
/// Turns a fine-tune CSV (one user per line) into a live stream: up to <c>activeUsers</c> users at a time, in file
/// order, are interleaved at random (each user's own events stay in order), paced at <c>rate</c> events/s, and every
/// event is stamped with the wall clock at the moment it is handed to the producer, so freshness is measured from
/// real event time. Leading "0" items are the format's left padding, not clicks.
/// Given <c>timeOrdered</c> events (an event log, <see cref="EventLogReplay"/>) instead, they are replayed in their
/// order, paced and stamped the same way (so their order, not their original spacing, is kept).
/// </summary>
public sealed class ReplayStream(string path, string task, string userPrefix, double rate, long maxEvents, int maxUsers,
    int activeUsers = 256, int seed = 1, IEnumerable<ReplayEvent>? timeOrdered = null)
{
    private long _clicks, _taskEvents;

    public long Clicks => Interlocked.Read(ref _clicks);

    public long TaskEvents => Interlocked.Read(ref _taskEvents);

    public long Produced => Clicks + TaskEvents;

    /// <summary>Lazily enumerated: reading, pacing and stamping happen as the producer pulls.</summary>
    public IEnumerable<ReplayEvent> Events(CancellationToken ct)
    {
        var bucket = new TokenBucket(rate);
        var rng = new Random(seed);
        var active = new List<Queue<ReplayEvent>>();
        using var users = (timeOrdered is null ? Users() : timeOrdered.Select(e => new Queue<ReplayEvent>([e]))).GetEnumerator();
        var more = true;
        var lastTs = 0L;
        while (!ct.IsCancellationRequested && (maxEvents <= 0 || Produced < maxEvents))
        {
            // A time-ordered log is taken one event at a time: its order is the point.
            while (more && active.Count < (timeOrdered is null ? activeUsers : 1))
            {
                more = users.MoveNext();
                if (more) active.Add(users.Current);
            }
            if (active.Count == 0) yield break;
            var pick = rng.Next(active.Count);
            var e = active[pick].Dequeue();
            if (active[pick].Count == 0)
            {
                active[pick] = active[^1];
                active.RemoveAt(active.Count - 1);
            }
            bucket.Take();
            lastTs = Math.Max(lastTs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            if (e.Click is { } c)
            {
                Interlocked.Increment(ref _clicks);
                yield return new ReplayEvent(c with { Ts = lastTs }, null);
            }
            else
            {
                Interlocked.Increment(ref _taskEvents);
                yield return new ReplayEvent(null, e.Task! with { Ts = lastTs });
            }
        }
    }

    /// <summary>Each user's events (FineTuneCsvReplay validates the lines), padding dropped, at most <c>maxUsers</c> users.</summary>
    private IEnumerable<Queue<ReplayEvent>> Users()
    {
        var current = new Queue<ReplayEvent>();
        string? user = null;
        var count = 0;
        foreach (var e in FineTuneCsvReplay.Read(path, task, userPrefix, EventLimits.MinTimestampMs))
        {
            if (e.User != user)
            {
                if (current.Count > 0) yield return current;
                if (maxUsers > 0 && ++count > maxUsers) yield break;
                current = new Queue<ReplayEvent>();
                user = e.User;
            }
            if (e.Click is { Item: "0" } && current.Count == 0) continue;
            current.Enqueue(e);
        }
        if (current.Count > 0) yield return current;
    }
}
