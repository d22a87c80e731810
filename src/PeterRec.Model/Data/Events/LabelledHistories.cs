namespace PeterRec.Model.Data.Events;

/// <summary>
/// Fine-tuning examples from a click log and a labels file (user, label, time: a target-domain item for
/// "rec", a class for "cls"). A label's history is the user's clicks strictly before the label's time;
/// a user's labels at one time form one example with several targets (as a fine-tune CSV row does).
/// <list type="bullet">
/// <item>Time split: only labels at or after <see cref="EventLogOptions.UntilMs"/> are read; their
/// histories still reach back before it (the clicks pretraining saw are the user's behaviour).</item>
/// <item>Duplicate labels (same user, label, time) and duplicate clicks are dropped and counted; clicks of
/// users without labels, or after a user's last label, are not needed and only counted.</item>
/// <item><see cref="EventLogOptions.MinItemCount"/> drops clicks of items rarer than that among the clicks
/// read; <see cref="EventLogOptions.MinUserLength"/> drops labels whose history is shorter (at least one
/// click is always required); <see cref="EventLogOptions.MaxLength"/> keeps each history's most recent clicks.</item>
/// </list>
/// Examples come out by user (first appearance in the labels file), then time, each row carrying its
/// user so the split keeps one user's examples in one part.
/// </summary>
public sealed class LabelledHistories
{
    private LabelledHistories(List<FineTuneRow> rows, EventLogSummary summary)
    {
        Rows = rows;
        Summary = summary;
    }

    public List<FineTuneRow> Rows { get; }
    public EventLogSummary Summary { get; }

    public static LabelledHistories Read(string eventsPath, string labelsPath, string task, EventLogOptions options,
                                         IJsonEventParser? clicksJson = null, IJsonEventParser? labelsJson = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var users = new Vocabulary([]);
        var labels = new Vocabulary([]);
        var labelStore = new UserEventStore();
        var bad = new List<string>();
        var from = options.UntilMs ?? long.MinValue;
        var labelFile = EventFileReader.Read(labelsPath, EventSchema.Labels(task), options, labelsJson, bad, (in EventRow row) =>
        {
            if (row.TimeMs < from) return RowFate.OutsideSplit;
            labelStore.Add(users.Add(row.User), labels.Add(row.Value), row.TimeMs, row.Line);
            return RowFate.Kept;
        });
        long labelDuplicates = 0;
        var lastLabel = new long[labelStore.Users];
        for (int u = 0; u < labelStore.Users; u++)
        {
            labelDuplicates += labelStore.SortAndDedupe(u);
            lastLabel[u] = labelStore.Times(u)[^1];
        }

        var items = new Vocabulary([]);
        var clicks = new UserEventStore();
        var clickFile = EventFileReader.Read(eventsPath, EventSchema.Clicks, options, clicksJson, bad, (in EventRow row) =>
        {
            if (!users.TryGetId(row.User, out var u) || row.TimeMs >= lastLabel[u]) return RowFate.NotNeeded;
            clicks.Add(u, items.Add(row.Value), row.TimeMs, row.Line);
            return RowFate.Kept;
        });
        long clickDuplicates = 0;
        for (int u = 0; u < clicks.Users; u++) clickDuplicates += clicks.SortAndDedupe(u);
        var rare = SequenceFilters.DropRareItems(clicks, items.Count, options.MinItemCount);
        var peak = clicks.PeakBytes + labelStore.PeakBytes;

        var rows = new List<FineTuneRow>();
        var usedItems = new bool[items.Count];
        long dropped = 0, events = 0, labelsKept = 0;
        int usersKept = 0;
        var minLength = Math.Max(1, options.MinUserLength);
        for (int u = 0; u < labelStore.Users; u++)
        {
            var times = labelStore.Times(u);
            var values = labelStore.Values(u);
            var history = clicks.Times(u);
            var historyItems = clicks.Values(u);
            var before = rows.Count;
            for (int start = 0; start < times.Length;)
            {
                var end = start + 1;
                while (end < times.Length && times[end] == times[start]) end++;
                var found = history.BinarySearch(times[start]);
                var h = found < 0 ? ~found : FirstAt(history, found);
                var first = options.MaxLength > 0 ? Math.Max(0, h - options.MaxLength) : 0;
                if (h - first < minLength) dropped += end - start;
                else
                {
                    var source = new string[h - first];
                    for (int k = first; k < h; k++)
                    {
                        source[k - first] = items.Token(historyItems[k]);
                        usedItems[historyItems[k]] = true;
                    }
                    var targets = new string[end - start];
                    for (int k = start; k < end; k++) targets[k - start] = labels.Token(values[k]);
                    rows.Add(new FineTuneRow(labelStore.FirstLine(u), source, targets, users.Token(u)));
                    events += source.Length;
                    labelsKept += targets.Length;
                }
                start = end;
            }
            if (rows.Count > before) usersKept++;
            clicks.Release(u);
            labelStore.Release(u);
        }
        var summary = new EventLogSummary
        {
            Clicks = clickFile with { Duplicates = clickDuplicates }, Labels = labelFile with { Duplicates = labelDuplicates },
            RareItemEvents = rare, DroppedShort = dropped, Users = usersKept, Items = usedItems.Count(b => b), Events = events,
            Examples = rows.Count, LabelsKept = labelsKept, StorePeakBytes = peak, BadRowExamples = bad,
        };
        return new LabelledHistories(rows, summary);
    }

    /// <summary>First index holding the value found at <paramref name="found"/>: clicks at the label's own time are not before it.</summary>
    private static int FirstAt(ReadOnlySpan<long> sorted, int found)
    {
        while (found > 0 && sorted[found - 1] == sorted[found]) found--;
        return found;
    }
}
