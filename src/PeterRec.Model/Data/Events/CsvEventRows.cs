namespace PeterRec.Model.Data.Events;

/// <summary>
/// Rows of a CSV (or tab-separated) event file with a header. Every row must have the header's number
/// of fields; the user and value must be ids (non-empty, bounded, no control characters) and the time
/// an <see cref="EventTimestamp"/>. Spaces around fields are trimmed.
/// </summary>
internal sealed class CsvEventRows(CsvLineReader reader, string file, CsvEventHeader header, EventLogOptions options) : IEventRowSource
{
    private char[] _user = [], _value = [], _time = [];

    public string Format { get; init; } = header.Delimiter == '\t' ? "tsv" : "csv";
    public long IgnoredRows => 0;

    public bool Next(out EventRow row)
    {
        var names = header.Names;
        while (reader.ReadLine(out var line, out var tooLong))
        {
            if (!tooLong && !line.ContainsAnyExcept(' ')) continue; // blank line
            var n = reader.LineNumber;
            if (tooLong)
                throw new CsvFormatException(file, n, 1, "row", $"a row of at most {options.MaxLineChars} characters", SequenceRowParser.Show(line) + " (row continues)");
            ReadOnlySpan<char> user = default, value = default, time = default;
            var fields = new CsvFieldWalker(line, header.Delimiter);
            while (fields.Next(out var raw, out var escaped, out var error))
            {
                var f = fields.Field - 1;
                if (f >= names.Length)
                    throw new CsvFormatException(file, n, fields.Field, "row", $"{names.Length} fields as in the header", "more fields");
                if (error is { } e) throw new CsvFormatException(file, n, fields.Field, names[f], e.Expected, e.Got);
                if (f == header.User) user = Take(raw, escaped, ref _user);
                else if (f == header.Value) value = Take(raw, escaped, ref _value);
                else if (f == header.Time) time = Take(raw, escaped, ref _time);
            }
            if (fields.Field < names.Length)
                throw new CsvFormatException(file, n, fields.Field + 1, names[fields.Field], $"{names.Length} fields as in the header", null);
            user = CheckId(n, header.User, "user", user.Trim(' '));
            value = CheckId(n, header.Value, header.Role, value.Trim(' '));
            time = time.Trim(' ');
            if (!EventTimestamp.TryParse(time, out var ms))
                throw new CsvFormatException(file, n, header.Time + 1, names[header.Time], EventTimestamp.Expected, SequenceRowParser.Show(time));
            row = new EventRow(user, value, ms, n);
            return true;
        }
        row = default;
        return false;
    }

    public void Dispose() => reader.Dispose();

    private ReadOnlySpan<char> CheckId(int line, int column, string role, ReadOnlySpan<char> id)
    {
        if (id.IsEmpty)
            throw new CsvFormatException(file, line, column + 1, header.Names[column], $"a non-empty {role} id", "");
        if (SequenceRowParser.InvalidToken(id, options.MaxIdLength, out var expected, out var got))
            throw new CsvFormatException(file, line, column + 1, header.Names[column], expected, got);
        return id;
    }

    private static ReadOnlySpan<char> Take(ReadOnlySpan<char> raw, bool escaped, ref char[] buffer)
    {
        if (!escaped) return raw;
        if (buffer.Length < raw.Length) buffer = new char[Math.Max(raw.Length, 64)];
        return buffer.AsSpan(0, CsvFieldWalker.Unescape(raw, buffer));
    }
}
