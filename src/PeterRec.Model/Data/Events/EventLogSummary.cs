using System.Text.Json.Serialization;

namespace PeterRec.Model.Data.Events;

/// <summary>What reading one event file did with its rows.</summary>
public sealed record EventFileSummary
{
    [JsonPropertyName("file")] public required string File { get; init; }
    /// <summary>csv, tsv or jsonl, with "+gzip" when compressed.</summary>
    [JsonPropertyName("format")] public required string Format { get; init; }
    /// <summary>Good rows read (kept or not).</summary>
    [JsonPropertyName("rows")] public long Rows { get; init; }
    /// <summary>Malformed rows skipped (with --skip-bad-rows; otherwise the first one stops the read).</summary>
    [JsonPropertyName("bad_rows")] public long BadRows { get; init; }
    /// <summary>Rows on the other side of the time split (--until).</summary>
    [JsonPropertyName("outside_split")] public long OutsideSplit { get; init; }
    /// <summary>Rows not needed: labels of another task (JSON "task"), clicks of users without labels or after their last label.</summary>
    [JsonPropertyName("not_needed")] public long NotNeeded { get; init; }
    /// <summary>Exact duplicates dropped: same user, value and time.</summary>
    [JsonPropertyName("duplicates")] public long Duplicates { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("rows_per_second")] public double RowsPerSecond { get; init; }
}

/// <summary>What an event log became: the files read, the filters' effect and what was kept.</summary>
public sealed record EventLogSummary
{
    [JsonPropertyName("clicks")] public required EventFileSummary Clicks { get; init; }
    [JsonPropertyName("labels")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public EventFileSummary? Labels { get; init; }
    /// <summary>Click events dropped because their item is rarer than --min-item-count.</summary>
    [JsonPropertyName("rare_item_events")] public long RareItemEvents { get; init; }
    /// <summary>Users (pretraining) or labels (fine-tuning) dropped for a sequence shorter than --min-user-length (at least 1).</summary>
    [JsonPropertyName("dropped_short")] public long DroppedShort { get; init; }
    /// <summary>Older click events cut by --max-length (pretraining; fine-tuning histories are cut per label and not counted).</summary>
    [JsonPropertyName("truncated_events")] public long TruncatedEvents { get; init; }
    [JsonPropertyName("users")] public int Users { get; init; }
    [JsonPropertyName("items")] public int Items { get; init; }
    /// <summary>Click events kept in sequences (pretraining) or in histories (fine-tuning, counted once per label group).</summary>
    [JsonPropertyName("events")] public long Events { get; init; }
    /// <summary>Fine-tuning: examples (a user's labels at one time, sharing one history) and the labels in them.</summary>
    [JsonPropertyName("examples")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? Examples { get; init; }
    [JsonPropertyName("labels_kept")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public long? LabelsKept { get; init; }
    /// <summary>Peak bytes of the grouped per-user store while reading (the data, not the process).</summary>
    [JsonPropertyName("store_peak_bytes")] public long StorePeakBytes { get; init; }
    /// <summary>The first bad rows' messages (file, line, field, what was expected); all are counted in bad_rows.</summary>
    [JsonPropertyName("bad_row_examples")] public IReadOnlyList<string> BadRowExamples { get; init; } = [];
}
