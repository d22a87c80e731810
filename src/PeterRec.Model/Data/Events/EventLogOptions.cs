namespace PeterRec.Model.Data.Events;

/// <summary>
/// How an event log (one row per interaction) becomes per-user sequences. Steps, in this order:
/// rows outside the time split are left out as they are read; each user's events are ordered by time
/// (ties keep file order) and exact duplicates (same user, item, time) dropped; events of items seen
/// fewer than <see cref="MinItemCount"/> times are dropped; users left with fewer than
/// <see cref="MinUserLength"/> events are dropped; each sequence keeps its <see cref="MaxLength"/> most
/// recent events. Each filter runs once (not repeated until nothing changes).
/// </summary>
public sealed record EventLogOptions
{
    /// <summary>(string?) Header name of the user column; null = the first of user, user_id, userId.</summary>
    public string? UserColumn { get; init; }
    /// <summary>(string?) Header name of the item column; null = item, item_id, itemId or movie_id.</summary>
    public string? ItemColumn { get; init; }
    /// <summary>(string?) Header name of the time column; null = ts, timestamp or time.</summary>
    public string? TimeColumn { get; init; }
    /// <summary>(string?) Header name of a labels file's label column; null = label, target or class, else an item column.</summary>
    public string? LabelColumn { get; init; }
    /// <summary>(bool) Skip malformed rows and count them instead of stopping at the first.</summary>
    public bool SkipBadRows { get; init; }
    /// <summary>(int) Drop events of items seen fewer times than this among the events read; 0 or 1 = keep all.</summary>
    public int MinItemCount { get; init; }
    /// <summary>(int) Drop users (pretraining) or labels (fine-tuning) with fewer events than this; 0 = keep all.</summary>
    public int MinUserLength { get; init; }
    /// <summary>(int) Keep each sequence's most recent events only; 0 = keep all.</summary>
    public int MaxLength { get; init; }
    /// <summary>
    /// (long?) Time split, unix ms. Pretraining reads clicks with time &lt; Until; fine-tuning reads labels with
    /// time &gt;= Until (their histories are still every click before the label, including clicks before Until).
    /// </summary>
    public long? UntilMs { get; init; }
    /// <summary>(int) Longest user, item or label id in characters (the clicks topic allows 128).</summary>
    public int MaxIdLength { get; init; } = 128;
    /// <summary>(int) Longest line accepted; longer rows are bad rows.</summary>
    public int MaxLineChars { get; init; } = 1 << 20;
    /// <summary>(int) Bad rows whose message is kept for the report (all of them are counted).</summary>
    public int KeepBadRowMessages { get; init; } = 20;

    public void Validate()
    {
        if (MinItemCount < 0) throw new ArgumentException($"--min-item-count {MinItemCount}: expected 0 or more");
        if (MinUserLength < 0) throw new ArgumentException($"--min-user-length {MinUserLength}: expected 0 or more");
        if (MaxLength < 0) throw new ArgumentException($"--max-length {MaxLength}: expected 0 (all) or more");
        if (MaxLength > 0 && MinUserLength > MaxLength)
            throw new ArgumentException($"--min-user-length {MinUserLength} is above --max-length {MaxLength}: no user could be kept");
        if (MaxIdLength < 1) throw new ArgumentException($"max id length {MaxIdLength}: expected at least 1");
        if (MaxLineChars < 16) throw new ArgumentException($"max line length {MaxLineChars}: expected at least 16");
        foreach (var (name, value) in new[] { ("--user-col", UserColumn), ("--item-col", ItemColumn), ("--time-col", TimeColumn), ("--label-col", LabelColumn) })
            if (value is not null && value.Trim().Length == 0) throw new ArgumentException($"{name}: expected a column name, got an empty one");
    }
}
