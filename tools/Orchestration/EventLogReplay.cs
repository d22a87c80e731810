using PeterRec.Contracts;
using PeterRec.Model.Data.Events;
using PeterRec.Producers;

namespace PeterRec.Orchestration;

/// <summary>
/// A user's click log and labels as a replay (<c>produce --events/--labels</c>, <c>run --events/--labels</c>): clicks
/// and labels interleaved in event-time order (see <see cref="TimeOrderedEvents"/>), at their own event times.
/// </summary>
public static class EventLogReplay
{
    /// <exception cref="FormatException">An id the roles would refuse (dead-letter), naming the file's row.</exception>
    public static (TimeOrderedEvents Log, IEnumerable<ReplayEvent> Events) Read(string eventsPath, string? labelsPath, string task, EventLogOptions options)
    {
        var log = TimeOrderedEvents.Read(eventsPath, labelsPath, task, options);
        return (log, log.Events().Select(e => e.IsLabel
            ? new ReplayEvent(null, new TaskEvent(e.User, task, e.Value, e.TimeMs))
            : new ReplayEvent(new ClickEvent(e.User, e.Value, e.TimeMs), null)));
    }
}
