using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PeterRec.Contracts;

/// <summary>
/// Strict reader for the flat JSON objects our events are: known fields must have the declared JSON type and
/// appear at most once; unknown fields are skipped so producers can add fields without breaking consumers.
/// </summary>
internal static class FlatJson
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 8, CommentHandling = JsonCommentHandling.Disallow };

    /// <summary>Fills <paramref name="strings"/>/<paramref name="longs"/> by field position; returns a failure or null.</summary>
    public static (DeadLetterReason Reason, string Detail)? Read(
        ReadOnlySpan<byte> utf8, string[] stringFields, string[] longFields, string?[] strings, long?[] longs)
    {
        if (utf8.IsEmpty) return (DeadLetterReason.MalformedJson, "empty payload");
        try
        {
            var reader = new Utf8JsonReader(utf8, Options);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return (DeadLetterReason.WrongType, $"top-level JSON value must be an object, got {reader.TokenType}");
            while (true)
            {
                if (!reader.Read()) return (DeadLetterReason.MalformedJson, "unterminated object");
                if (reader.TokenType == JsonTokenType.EndObject) break;
                var name = reader.GetString()!;
                if (!reader.Read()) return (DeadLetterReason.MalformedJson, $"missing value for field '{name}'");
                var si = Array.IndexOf(stringFields, name);
                var li = si < 0 ? Array.IndexOf(longFields, name) : -1;
                if (si >= 0)
                {
                    if (reader.TokenType != JsonTokenType.String)
                        return (DeadLetterReason.WrongType, $"field '{name}' must be a string, got {reader.TokenType}");
                    if (strings[si] is not null) return (DeadLetterReason.MalformedJson, $"duplicate field '{name}'");
                    strings[si] = reader.GetString();
                }
                else if (li >= 0)
                {
                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var number))
                        return (DeadLetterReason.WrongType, $"field '{name}' must be an integer, got {Describe(ref reader)}");
                    if (longs[li] is not null) return (DeadLetterReason.MalformedJson, $"duplicate field '{name}'");
                    longs[li] = number;
                }
                else
                {
                    reader.Skip();
                }
            }
            if (reader.Read()) return (DeadLetterReason.MalformedJson, $"trailing content after the object ({reader.TokenType})");
            return null;
        }
        catch (JsonException e)
        {
            return (DeadLetterReason.MalformedJson, e.Message);
        }
        catch (InvalidOperationException e)
        {
            // Invalid UTF-8 inside a string surfaces here.
            return (DeadLetterReason.MalformedJson, e.Message);
        }
    }

    public static (DeadLetterReason Reason, string Detail)? Require(string field, object? value) =>
        value is null ? (DeadLetterReason.MissingField, $"field '{field}' is required") : null;

    private static string Describe(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.Number
            ? $"number {Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan)}"
            : reader.TokenType.ToString();

    /// <summary>Writes a flat object of string and integer fields, in the given order.</summary>
    public static byte[] Write(params (string Name, object Value)[] fields)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in fields)
            {
                switch (value)
                {
                    case string s: writer.WriteString(name, s); break;
                    case long l: writer.WriteNumber(name, l); break;
                    default: throw new ArgumentException($"unsupported field type {value.GetType()}", nameof(fields));
                }
            }
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
