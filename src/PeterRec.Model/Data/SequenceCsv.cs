using System.Text;

namespace PeterRec.Model.Data;

/// <summary>
/// The paper's sequence files. Pretrain: one user per line, item tokens oldest first, optionally
/// left-padded with "0". Fine-tune: <c>src1,...,srcN,,tgt1,tgt2,...</c> where the first empty field
/// separates the source sequence from its targets (for profile tasks the target is the class label).
/// Blank lines are ignored, a trailing '\r' and a UTF-8 BOM are tolerated, and fields are trimmed of
/// spaces. Files are streamed; a bad row either throws <see cref="CsvFormatException"/> or, with
/// <see cref="CsvReadOptions.SkipBadRows"/>, is recorded in <see cref="CsvResult{T}.Skipped"/>.
/// </summary>
public static class SequenceCsv
{
    public static CsvResult<PretrainRow> ReadPretrain(string path, CsvReadOptions options) =>
        Read(path, options, p => new PretrainRow(p.Line, [.. p.Source]), static (p, line) => p.ParsePretrain(line));

    public static CsvResult<FineTuneRow> ReadFineTune(string path, CsvReadOptions options) =>
        Read(path, options, p => new FineTuneRow(p.Line, [.. p.Source], [.. p.Targets]), static (p, line) => p.ParseFineTune(line));

    private delegate void ParseLine(SequenceRowParser parser, ReadOnlySpan<char> line);

    private static CsvResult<T> Read<T>(string path, CsvReadOptions options, Func<SequenceRowParser, T> emit, ParseLine parse)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var parser = new SequenceRowParser(path, options);
        var rows = new List<T>();
        var skipped = new List<SkippedRow>();
        using var reader = new CsvLineReader(path, SequenceRowParser.MaxLineChars(options));
        while (true)
        {
            ReadOnlySpan<char> line;
            bool tooLong;
            try
            {
                if (!reader.ReadLine(out line, out tooLong)) break;
            }
            catch (CsvFormatException e) when (options.SkipBadRows)
            {
                skipped.Add(new SkippedRow(e.Line, e.Message)); // invalid UTF-8: the line is consumed, read on
                continue;
            }
            if (!tooLong && !line.ContainsAnyExcept(' ')) continue; // blank line
            parser.Line = reader.LineNumber;
            try
            {
                if (tooLong) throw parser.RowTooLong(line);
                parse(parser, line);
            }
            catch (CsvFormatException e) when (options.SkipBadRows)
            {
                skipped.Add(new SkippedRow(e.Line, e.Message));
                continue;
            }
            rows.Add(emit(parser));
        }
        return new CsvResult<T>(rows, skipped);
    }

    public static void WritePretrain(string path, IEnumerable<IReadOnlyList<string>> rows) => WritePretrain(path, rows, padTo: 0);

    /// <summary>Writes pretrain rows, left-padding each with "0" up to <paramref name="padTo"/> tokens as the paper's files do.</summary>
    public static void WritePretrain(string path, IEnumerable<IReadOnlyList<string>> rows, int padTo)
    {
        ArgumentNullException.ThrowIfNull(rows);
        WriteAtomically(path, w =>
        {
            var n = 0;
            foreach (var row in rows)
            {
                n++;
                WriteSource(w, row, padTo, n);
                w.Write('\n');
            }
        });
    }

    public static void WriteFineTune(string path, IEnumerable<(IReadOnlyList<string> Source, IReadOnlyList<string> Targets)> rows) =>
        WriteFineTune(path, rows, padTo: 0);

    /// <summary>Writes fine-tune rows, left-padding each source sequence with "0" up to <paramref name="padTo"/> tokens.</summary>
    public static void WriteFineTune(string path, IEnumerable<(IReadOnlyList<string> Source, IReadOnlyList<string> Targets)> rows, int padTo)
    {
        ArgumentNullException.ThrowIfNull(rows);
        WriteAtomically(path, w =>
        {
            var n = 0;
            foreach (var (source, targets) in rows)
            {
                n++;
                WriteSource(w, source, padTo, n);
                w.Write(',');
                if (targets.Count == 0) throw new ArgumentException($"row {n}: expected at least one target, got none");
                for (var i = 0; i < targets.Count; i++)
                {
                    CheckToken(targets[i], n, "target", i + 1, allowPadding: true);
                    w.Write(',');
                    w.Write(targets[i]);
                }
                w.Write('\n');
            }
        });
    }

    private static void WriteSource(StreamWriter w, IReadOnlyList<string> items, int padTo, int row)
    {
        if (items.Count == 0) throw new ArgumentException($"row {row}: expected at least one source item, got none");
        var first = true;
        for (var i = items.Count; i < padTo; i++)
        {
            if (!first) w.Write(',');
            w.Write('0');
            first = false;
        }
        for (var i = 0; i < items.Count; i++)
        {
            CheckToken(items[i], row, "source item", i + 1, allowPadding: false);
            if (!first) w.Write(',');
            w.Write(items[i]);
            first = false;
        }
    }

    /// <summary>Refuses tokens the reader would read back differently, so a written file always round-trips.</summary>
    private static void CheckToken(string token, int row, string what, int index, bool allowPadding)
    {
        string? problem =
            token is null ? "is null" :
            token.Length == 0 ? "is empty" :
            token.AsSpan().IndexOfAny(',', '\n', '\r') >= 0 ? "contains a comma or line break" :
            token.Any(char.IsControl) ? "contains a control character" :
            token[0] == ' ' || token[^1] == ' ' ? "has leading or trailing spaces" :
            !allowPadding && token == "0" ? "is \"0\", which is reserved for padding" :
            null;
        if (problem is not null)
            throw new ArgumentException($"row {row}, {what} {index}: token '{SequenceRowParser.Show(token)}' {problem}");
    }

    /// <summary>Writes through a temporary file renamed into place: a crash or a bad row mid-way never leaves a truncated file.</summary>
    internal static void WriteAtomically(string path, Action<StreamWriter> body)
    {
        ArgumentNullException.ThrowIfNull(path);
        // Temp file + rename: a crash or a bad row mid-way never leaves a truncated file at `path`.
        var tmp = path + ".tmp";
        try
        {
            using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false), 1 << 16))
            {
                body(w);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }
}
