using PeterRec.Model.Data;
using System.CommandLine;
using PeterRec.Model.Data.Events;

namespace PeterRec.Cli.Commands;

/// <summary>The event-log options `pretrain` and `finetune` share (the reading itself is <see cref="ClickSequences"/> / <see cref="LabelledHistories"/>).</summary>
public sealed class EventLogArgs
{
    private readonly Option<string?> _events = new Option<string?>("--events") { Description = "Event log instead of --data: CSV/TSV with a header (user, item, time columns) or JSON lines {\"user\",\"item\",\"ts\"}; .gz accepted" }.ExistingFile();
    private readonly Option<string?> _labels = new Option<string?>("--labels") { Description = "With --events: labels file (user, label, time): a target item for rec, a class for cls; history = the user's clicks before the label" }.ExistingFile();
    private readonly Option<string?> _userCol = new Option<string?>("--user-col") { Description = "User column (default: user, user_id or userId)" };
    private readonly Option<string?> _itemCol = new Option<string?>("--item-col") { Description = "Item column (default: item, item_id, itemId or movie_id)" };
    private readonly Option<string?> _timeCol = new Option<string?>("--time-col") { Description = "Time column (default: ts, timestamp or time): unix s or ms (below 10^11 = seconds) or ISO 8601" };
    private readonly Option<string?> _labelCol = new Option<string?>("--label-col") { Description = "Label column of --labels (default: label, target or class, else an item column)" };
    private readonly Option<int> _minItemCount = new Option<int>("--min-item-count") { Description = "Drop clicks of items seen fewer times (0 = keep all)" }.AtLeast(0);
    private readonly Option<int> _minUserLength = new Option<int>("--min-user-length") { Description = "Drop users (pretrain) or labels (finetune) with fewer clicks (0 = keep all)" }.AtLeast(0);
    private readonly Option<int> _maxLength = new Option<int>("--max-length") { Description = "Keep each sequence's (history's) most recent clicks only (0 = all)" }.AtLeast(0);
    private readonly Option<string?> _until = new Option<string?>("--until") { Description = "Time split: pretrain reads clicks before it, finetune labels at or after it (unix s/ms or ISO 8601)" }
        .Must(v => v is null || EventTimestamp.TryParse(v.AsSpan().Trim(), out _), EventTimestamp.Expected);

    /// <summary>Adds the options to <paramref name="command"/>; <paramref name="labels"/> adds --labels and --label-col too.</summary>
    public static EventLogArgs AddTo(Command command, bool labels)
    {
        var a = new EventLogArgs();
        foreach (var o in new Option[] { a._events, a._userCol, a._itemCol, a._timeCol, a._minItemCount, a._minUserLength, a._maxLength, a._until })
            command.Options.Add(o);
        if (labels)
        {
            command.Options.Add(a._labels);
            command.Options.Add(a._labelCol);
        }
        return a;
    }

    /// <summary>The event log's path, or null when <paramref name="data"/> (a sequence CSV) is given instead; exactly one of them must be.</summary>
    public string? EventsPath(ParseResult r, Option<string?> data)
    {
        var events = r.GetValue(_events);
        var csv = r.GetValue(data);
        if (events is not null && csv is not null) throw new ArgumentException("--data and --events: expected one of them, got both");
        if (events is null && csv is null) throw new ArgumentException("expected --data FILE (sequence CSV) or --events FILE (event log)");
        if (events is null && r.GetValue(_labels) is not null) throw new ArgumentException("--labels: expected it with --events (a fine-tune CSV carries its targets)");
        return events;
    }

    public bool HasEvents(ParseResult r) => r.GetValue(_events) is not null;

    public string RequiredEventsPath(ParseResult r) => r.GetValue(_events) ?? throw new ArgumentException("expected --events FILE");

    /// <summary>The labels file when given (optional where labels only refine what is read).</summary>
    public string? OptionalLabelsPath(ParseResult r) => r.GetValue(_labels);

    public string LabelsPath(ParseResult r) =>
        r.GetValue(_labels) ?? throw new ArgumentException("--events: expected --labels FILE too (user, label, time) for fine-tuning");

    public EventLogOptions Options(ParseResult r, bool skipBadRows) => new()
    {
        UserColumn = r.GetValue(_userCol), ItemColumn = r.GetValue(_itemCol), TimeColumn = r.GetValue(_timeCol), LabelColumn = r.GetValue(_labelCol),
        MinItemCount = r.GetValue(_minItemCount), MinUserLength = r.GetValue(_minUserLength), MaxLength = r.GetValue(_maxLength),
        UntilMs = r.GetValue(_until) is { } until ? EventTimestamp.Parse(until, "--until") : null, SkipBadRows = skipBadRows,
    };
}
