namespace PeterRec.Model.Data.Events;

/// <summary>One good row of an event file; the spans are valid until the source reads the next row.</summary>
public readonly ref struct EventRow(ReadOnlySpan<char> user, ReadOnlySpan<char> value, long timeMs, int line)
{
    public ReadOnlySpan<char> User { get; } = user;
    /// <summary>The item of a click, or the label of a labels file.</summary>
    public ReadOnlySpan<char> Value { get; } = value;
    /// <summary>Unix milliseconds, UTC.</summary>
    public long TimeMs { get; } = timeMs;
    /// <summary>1-based line in the file.</summary>
    public int Line { get; } = line;
}

/// <summary>
/// Rows of one event file in file order. <see cref="Next"/> throws <see cref="CsvFormatException"/> for a
/// malformed row (file, line, field, what was expected) after moving past it, so a caller that skips bad
/// rows just calls it again. Problems of the whole file (no usable header, invalid UTF-8) throw
/// <see cref="InvalidDataException"/>.
/// </summary>
public interface IEventRowSource : IDisposable
{
    /// <summary>"csv", "tsv" or "jsonl".</summary>
    string Format { get; }
    /// <summary>Rows skipped on purpose, not as errors (JSON labels of another task).</summary>
    long IgnoredRows { get; }
    bool Next(out EventRow row);
}

/// <summary>Why a row is bad: the field (1-based position and name), what was expected and what was found (null: nothing).</summary>
public sealed record EventFieldError(int Field, string Name, string Expected, string? Got)
{
    public CsvFormatException ToException(string file, int line) => new(file, line, Field, Name, Expected, Got);
}
