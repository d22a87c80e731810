namespace PeterRec.Producers;

/// <summary>
/// Holds each label of a replay back until the clicks before it have reached the user's window, so the Trainer finds
/// its history: Ingest and the Trainer consume different topics, and a label produced right behind its clicks can
/// reach the Trainer first (it would find none, and skip the label as no_history). The label keeps the timestamp of
/// its turn, and the Trainer cuts the window at that timestamp, so clicks produced while it waits do not leak into its
/// history. Clicks pass straight through.
/// </summary>
public static class LabelLag
{
    /// <summary>For a producer that cannot see Ingest: hold every label this long.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(1);

    public static IEnumerable<ReplayEvent> Hold(IEnumerable<ReplayEvent> events, TimeSpan lag, CancellationToken ct = default) =>
        Hold(events, (_, heldFor) => heldFor >= lag, ct);

    /// <param name="ready">(clicks yielded before the label, how long it has been held) -> may it go now.</param>
    public static IEnumerable<ReplayEvent> Hold(IEnumerable<ReplayEvent> events, Func<long, TimeSpan, bool> ready, CancellationToken ct = default)
    {
        var held = new Queue<(long ClicksBefore, DateTime Since, ReplayEvent Label)>();
        long clicks = 0;
        bool Ready() => held.Count > 0 && ready(held.Peek().ClicksBefore, DateTime.UtcNow - held.Peek().Since);
        foreach (var e in events)
        {
            while (Ready()) yield return held.Dequeue().Label;
            if (e.Task is not null) { held.Enqueue((clicks, DateTime.UtcNow, e)); continue; }
            clicks++;
            yield return e;
        }
        while (held.Count > 0 && !ct.IsCancellationRequested)
        {
            if (Ready()) yield return held.Dequeue().Label;
            else if (ct.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(50))) yield break;
        }
    }
}
