namespace PeterRec.Model.Data;

/// <summary>How a sequence CSV is read.</summary>
/// <param name="SkipBadRows">Skip and record bad rows instead of failing at the first one.</param>
/// <param name="MaxTokenLength">Longest token accepted, in UTF-16 chars.</param>
/// <param name="MaxTokensPerRow">Most fields (padding included) accepted in one row.</param>
public sealed record CsvReadOptions(bool SkipBadRows = false, int MaxTokenLength = 128, int MaxTokensPerRow = 100_000)
{
    internal void Validate()
    {
        if (MaxTokenLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxTokenLength), MaxTokenLength, "must be at least 1");
        if (MaxTokensPerRow < 2) throw new ArgumentOutOfRangeException(nameof(MaxTokensPerRow), MaxTokensPerRow, "must be at least 2");
    }
}

/// <summary>A row that was skipped because it was malformed; <see cref="Reason"/> is the full error message.</summary>
public sealed record SkippedRow(int Line, string Reason);

public sealed record CsvResult<T>(IReadOnlyList<T> Rows, IReadOnlyList<SkippedRow> Skipped)
{
    /// <summary>Rows skipped in all; an event log keeps only the first few messages in <see cref="Skipped"/>.</summary>
    public int SkippedCount { get; init; } = Skipped.Count;
}

/// <summary>One user's source sequence, oldest first, with the leading "0" padding removed.</summary>
public sealed record PretrainRow(int Line, string[] Items);

/// <summary>One fine-tune user: source sequence (padding removed) and one or more targets (item ids or a class label).</summary>
/// <param name="User">The user's id when one user can give several rows (an event log: one row per label time), so the
/// split keeps them together; null (a CSV row) = the row is its own user.</param>
public sealed record FineTuneRow(int Line, string[] Source, string[] Targets, string? User = null);

/// <summary>A malformed CSV row. The message reads "FILE:LINE: field N (NAME): expected X, got 'Y'".</summary>
public sealed class CsvFormatException : Exception
{
    /// <param name="got">The offending text, or null when the row ended where more was expected.</param>
    public CsvFormatException(string file, int line, int field, string fieldName, string expected, string? got)
        : base(Format(file, line, field, fieldName, expected, got))
    {
        File = file;
        Line = line;
        Field = field;
        FieldName = fieldName;
        Expected = expected;
        Got = got;
    }

    public string File { get; }
    public int Line { get; }
    public int Field { get; }
    public string FieldName { get; }
    public string Expected { get; }
    /// <summary>The offending text (shortened, control characters escaped); null when the row ended early.</summary>
    public string? Got { get; }

    private static string Format(string file, int line, int field, string name, string expected, string? got) =>
        got is null
            ? $"{file}:{line}: field {field} ({name}): expected {expected}, got end of line"
            : $"{file}:{line}: field {field} ({name}): expected {expected}, got '{got}'";
}
