using System.Text.Json;

namespace PeterRec.Model.Data.Events;

/// <summary>
/// The topics' JSON formats, with the rules the streaming roles apply to them (src/Contracts:
/// FlatJson, EventLimits): a flat object; "user" and the value field ("item" for clicks, "label" for
/// labels) strings, "ts" an integer in unix milliseconds between 2000 and 2099; each at most once;
/// unknown fields ignored; ids non-empty, at most 128 characters, no control characters. Labels may carry
/// "task" (the task-events topic does): a row for another task is ignored, not an error.
/// </summary>
public sealed class FlatEventJsonParser(EventSchema schema, int maxIdLength = 128) : IJsonEventParser
{
    /// <summary>2000-01-01T00:00:00Z in unix ms, as the contracts' EventLimits.MinTimestampMs.</summary>
    public const long MinTimestampMs = 946_684_800_000;

    private static readonly JsonReaderOptions Options = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };
    private readonly byte[] _valueField = System.Text.Encoding.UTF8.GetBytes(schema.JsonField);
    private readonly char[] _scratch = new char[maxIdLength * 6];

    private enum Field { Other, User, Value, Ts, Task }

    public EventFieldError? Parse(ReadOnlySpan<byte> utf8, JsonEventRow row)
    {
        row.Reset();
        int field = 0, userAt = 0, valueAt = 0, tsAt = 0, taskAt = 0;
        var otherTask = false;
        try
        {
            var r = new Utf8JsonReader(utf8, Options);
            if (!r.Read() || r.TokenType != JsonTokenType.StartObject)
                return new EventFieldError(1, "object", "a JSON object", r.TokenType.ToString());
            while (true)
            {
                r.Read();
                if (r.TokenType == JsonTokenType.EndObject) break;
                field++;
                var kind = r.ValueTextEquals("user"u8) ? Field.User : r.ValueTextEquals(_valueField) ? Field.Value
                    : r.ValueTextEquals("ts"u8) ? Field.Ts : schema.Task is not null && r.ValueTextEquals("task"u8) ? Field.Task : Field.Other;
                r.Read();
                if (kind == Field.User)
                {
                    if (String(ref r, userAt, field, "user", out var text) is { } e) return e;
                    row.SetUser(text);
                    userAt = field;
                }
                else if (kind == Field.Value)
                {
                    if (String(ref r, valueAt, field, schema.JsonField, out var text) is { } e) return e;
                    row.SetValue(text);
                    valueAt = field;
                }
                else if (kind == Field.Task)
                {
                    if (String(ref r, taskAt, field, "task", out var text) is { } e) return e;
                    otherTask = !text.SequenceEqual(schema.Task);
                    taskAt = field;
                }
                else if (kind == Field.Ts)
                {
                    if (tsAt > 0) return new EventFieldError(field, "ts", "each field once", "a second 'ts'");
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var ts))
                        return new EventFieldError(field, "ts", "an integer (unix milliseconds)", Describe(ref r));
                    tsAt = field;
                    row.TimeMs = ts;
                }
                else r.Skip();
            }
            if (r.Read()) return new EventFieldError(field + 1, "object", "nothing after the object", r.TokenType.ToString());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return new EventFieldError(Math.Max(1, field), "json", "a valid flat JSON object", e.Message);
        }
        if (userAt == 0) return Missing(field, "user");
        if (valueAt == 0) return Missing(field, schema.JsonField);
        if (tsAt == 0) return Missing(field, "ts");
        if (Id(row.User, userAt, "user") is { } badUser) return badUser;
        if (Id(row.Value, valueAt, schema.JsonField) is { } badValue) return badValue;
        if (row.TimeMs is < MinTimestampMs or >= EventTimestamp.EndMs)
            return new EventFieldError(tsAt, "ts", $"unix milliseconds in [{MinTimestampMs}, {EventTimestamp.EndMs}) (years 2000-2099)", row.TimeMs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        row.Ignored = otherTask;
        return null;
    }

    private EventFieldError? String(ref Utf8JsonReader r, int seenAt, int field, string name, out ReadOnlySpan<char> text)
    {
        text = default;
        if (seenAt > 0) return new EventFieldError(field, name, "each field once", $"a second '{name}'");
        if (r.TokenType != JsonTokenType.String) return new EventFieldError(field, name, "a string", Describe(ref r));
        // Decoded chars never outnumber the encoded bytes, and an escape (\uXXXX) is six bytes per char at most.
        var bytes = r.HasValueSequence ? (int)r.ValueSequence.Length : r.ValueSpan.Length;
        if (bytes > _scratch.Length) return new EventFieldError(field, name, $"an id of at most {maxIdLength} characters", $"{bytes} bytes");
        text = _scratch.AsSpan(0, r.CopyString(_scratch));
        return null;
    }

    private EventFieldError? Id(ReadOnlySpan<char> id, int field, string name)
    {
        if (id.IsEmpty) return new EventFieldError(field, name, $"a non-empty {name} id", "");
        return SequenceRowParser.InvalidToken(id, maxIdLength, out var expected, out var got) ? new EventFieldError(field, name, expected, got) : null;
    }

    private static EventFieldError Missing(int fields, string name) => new(fields + 1, name, $"a \"{name}\" field", "no such field");

    private static string Describe(ref Utf8JsonReader r) =>
        r.TokenType is JsonTokenType.Number or JsonTokenType.String
            ? $"{r.TokenType.ToString().ToLowerInvariant()} {SequenceRowParser.Show(System.Text.Encoding.UTF8.GetString(r.ValueSpan))}"
            : r.TokenType.ToString();
}
