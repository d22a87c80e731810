using PeterRec.Contracts;

namespace PeterRec.Producers;

/// <summary>
/// Replays a fine-tune CSV (<c>src1,...,srcN,,tgt1,...</c>: one user per line, source items, an empty field, target
/// labels): each line's sources become clicks in order, then its targets become task events, all with increasing ts.
/// The user of line L is <c>&lt;prefix&gt;L</c>. A minimal reader of its own, so the command does not depend on the model.
/// </summary>
public static class FineTuneCsvReplay
{
    public static IEnumerable<ReplayEvent> Read(string path, string task, string userPrefix, long startTs)
    {
        var ts = startTs;
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var fields = line.TrimEnd('\r').Split(',');
            var gap = Array.IndexOf(fields, "");
            if (gap < 0)
                throw new FormatException($"{path}:{lineNumber}: expected an empty field between source items and targets (src1,...,srcN,,tgt1,...)");
            if (gap == 0) throw new FormatException($"{path}:{lineNumber}: no source items before the empty field");
            var user = $"{userPrefix}{lineNumber}";
            for (var i = 0; i < fields.Length; i++)
            {
                if (i == gap) continue;
                var field = fields[i].Trim();
                if (field.Length == 0)
                    throw new FormatException($"{path}:{lineNumber}: field {i + 1} is empty; only one empty field (the separator) is allowed");
                if (EventLimits.CheckId(i < gap ? "item" : "label", field) is { } problem)
                    throw new FormatException($"{path}:{lineNumber}: field {i + 1}: {problem}");
                yield return i < gap
                    ? new ReplayEvent(new ClickEvent(user, field, ts++), null)
                    : new ReplayEvent(null, new TaskEvent(user, task, field, ts++));
            }
        }
    }
}
