namespace PeterRec.Model.Data.Events;

/// <summary>One row of a replay: a click (user, item) or a label (user, label), at its event time.</summary>
public readonly record struct TimedEvent(bool IsLabel, string User, string Value, long TimeMs);

/// <summary>
/// A click log and, optionally, a labels file merged into one stream in event-time order, for replaying a user's own
/// data through the online loop. At equal times clicks come before labels (a label's history includes the clicks
/// stamped with its own time, as the Trainer's join does), and otherwise file order is kept. Rows are read with the
/// event-log readers' discipline (<see cref="EventLogOptions.SkipBadRows"/>); <see cref="EventLogOptions.UntilMs"/>
/// keeps clicks before it and labels at or after it, as pretraining and fine-tuning split them.
/// </summary>
/// <remarks>Sorting needs every event at once: held as 16 bytes each plus the distinct ids, not an object per row.</remarks>
public sealed class TimeOrderedEvents
{
    private readonly Vocabulary _users = new([]), _values = new([]);
    private (long Time, int Order, int User, int Value)[] _events = [];

    private TimeOrderedEvents() { }

    public EventFileSummary? Clicks { get; private set; }
    public EventFileSummary? Labels { get; private set; }
    public IReadOnlyList<string> BadRowExamples { get; private set; } = [];
    public int Count => _events.Length;

    /// <param name="labelsPath">Null: clicks only.</param>
    public static TimeOrderedEvents Read(string eventsPath, string? labelsPath, string task, EventLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var result = new TimeOrderedEvents();
        var list = new List<(long, int, int, int)>();
        var bad = new List<string>();
        var until = options.UntilMs;
        // Order: 2 * file position, +1 for labels, so ties in time put clicks first and keep each file's order.
        int clickIndex = 0, labelIndex = 0;
        result.Clicks = EventFileReader.Read(eventsPath, EventSchema.Clicks, options, null, bad, (in EventRow row) =>
        {
            if (until is { } u && row.TimeMs >= u) return RowFate.OutsideSplit;
            list.Add((row.TimeMs, 2 * clickIndex++, result._users.Add(row.User), result._values.Add(row.Value)));
            return RowFate.Kept;
        });
        if (labelsPath is not null)
            result.Labels = EventFileReader.Read(labelsPath, EventSchema.Labels(task), options, null, bad, (in EventRow row) =>
            {
                if (until is { } u && row.TimeMs < u) return RowFate.OutsideSplit;
                list.Add((row.TimeMs, 2 * labelIndex++ + 1, result._users.Add(row.User), result._values.Add(row.Value)));
                return RowFate.Kept;
            });
        result._events = [.. list];
        // Clicks first at equal times, then file order within each kind.
        Array.Sort(result._events, (a, b) => a.Time != b.Time ? a.Time.CompareTo(b.Time)
            : (a.Order & 1) != (b.Order & 1) ? (a.Order & 1).CompareTo(b.Order & 1) : a.Order.CompareTo(b.Order));
        result.BadRowExamples = bad;
        return result;
    }

    /// <summary>The events in time order.</summary>
    public IEnumerable<TimedEvent> Events()
    {
        foreach (var (time, order, user, value) in _events)
            yield return new TimedEvent((order & 1) == 1, _users.Token(user), _values.Token(value), time);
    }
}
