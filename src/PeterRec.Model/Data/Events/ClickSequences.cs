namespace PeterRec.Model.Data.Events;

/// <summary>
/// A click log grouped into per-user sequences for pretraining (the steps of <see cref="EventLogOptions"/>):
/// clicks before <see cref="EventLogOptions.UntilMs"/>, each user's clicks by time (ties in file order),
/// duplicates dropped, rare items and short users filtered, the most recent <see cref="EventLogOptions.MaxLength"/>
/// kept. Users come out in order of their first kept click in the file.
/// </summary>
public sealed class ClickSequences
{
    private readonly Vocabulary _users, _items;
    private readonly UserEventStore _store;

    private ClickSequences(Vocabulary users, Vocabulary items, UserEventStore store, EventLogSummary summary)
    {
        _users = users;
        _items = items;
        _store = store;
        Summary = summary;
    }

    public EventLogSummary Summary { get; }

    /// <summary>The grouped store (for its size counters).</summary>
    public UserEventStore Store => _store;

    public static ClickSequences Read(string path, EventLogOptions options, IJsonEventParser? json = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var users = new Vocabulary([]);
        var items = new Vocabulary([]);
        var store = new UserEventStore();
        var bad = new List<string>();
        var until = options.UntilMs ?? long.MaxValue;
        var file = EventFileReader.Read(path, EventSchema.Clicks, options, json, bad, (in EventRow row) =>
        {
            if (row.TimeMs >= until) return RowFate.OutsideSplit;
            store.Add(users.Add(row.User), items.Add(row.Value), row.TimeMs, row.Line);
            return RowFate.Kept;
        });
        return Group(users, items, store, file, bad, options);
    }

    /// <summary>
    /// Groups clicks that do not come from a file (a Kafka topic), with the same steps as <see cref="Read"/>: the n-th
    /// click plays the role of line n (ties in arrival order). Clicks before <paramref name="sinceMs"/> or at or after
    /// <see cref="EventLogOptions.UntilMs"/> are counted as outside the split.
    /// </summary>
    /// <param name="source">Names the input in the summary (its "file"), e.g. <c>kafka://topic</c>.</param>
    /// <param name="badRows">Records of the input that were not clicks (counted by the caller as they were skipped).</param>
    public static ClickSequences FromClicks(IEnumerable<(string User, string Item, long TimeMs)> clicks, EventLogOptions options,
        string source, string format, long? sinceMs, Func<long> badRows)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var users = new Vocabulary([]);
        var items = new Vocabulary([]);
        var store = new UserEventStore();
        var (since, until) = (sinceMs ?? long.MinValue, options.UntilMs ?? long.MaxValue);
        long rows = 0, outside = 0;
        foreach (var (user, item, time) in clicks)
        {
            rows++;
            if (time < since || time >= until) { outside++; continue; }
            store.Add(users.Add(user), items.Add(item), time, checked((int)rows));
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var bad = badRows();
        var file = new EventFileSummary
        {
            File = source, Format = format, Rows = rows, BadRows = bad, OutsideSplit = outside, Seconds = Math.Round(seconds, 3),
            RowsPerSecond = Math.Round((rows + bad) / Math.Max(seconds, 1e-9)),
        };
        return Group(users, items, store, file, [], options);
    }

    private static ClickSequences Group(Vocabulary users, Vocabulary items, UserEventStore store, EventFileSummary file, List<string> bad, EventLogOptions options)
    {
        long duplicates = 0;
        for (int u = 0; u < store.Users; u++) duplicates += store.SortAndDedupe(u);
        var rare = SequenceFilters.DropRareItems(store, items.Count, options.MinItemCount);
        long dropped = 0, truncated = 0;
        var minLength = Math.Max(1, options.MinUserLength);
        for (int u = 0; u < store.Users; u++)
        {
            if (store.Count(u) < minLength)
            {
                dropped++; // every user had a click, so this one lost them to the filters
                store.Release(u);
            }
            else if (options.MaxLength > 0) truncated += store.KeepLast(u, options.MaxLength);
        }
        var kept = Enumerable.Range(0, store.Users).Count(u => store.Count(u) > 0);
        var summary = new EventLogSummary
        {
            Clicks = file with { Duplicates = duplicates }, RareItemEvents = rare, DroppedShort = dropped, TruncatedEvents = truncated,
            Users = kept, Items = SequenceFilters.DistinctValues(store, items.Count), Events = store.Events,
            StorePeakBytes = store.PeakBytes, BadRowExamples = bad,
        };
        return new ClickSequences(users, items, store, summary);
    }

    /// <summary>The sequences as pretraining rows (item ids, oldest first). Once: each user's arrays are freed as it is converted.</summary>
    public List<PretrainRow> ToPretrainRows()
    {
        var rows = new List<PretrainRow>();
        for (int u = 0; u < _store.Users; u++)
        {
            var values = _store.Values(u);
            if (values.IsEmpty) continue;
            var tokens = new string[values.Length];
            for (int i = 0; i < tokens.Length; i++) tokens[i] = _items.Token(values[i]);
            rows.Add(new PretrainRow(_store.FirstLine(u), tokens));
            _store.Release(u);
        }
        return rows;
    }

    /// <summary>The user's id as written in the log.</summary>
    public string User(int user) => _users.Token(user);
}
