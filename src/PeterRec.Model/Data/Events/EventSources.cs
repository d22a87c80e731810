namespace PeterRec.Model.Data.Events;

/// <summary>
/// Opens an event file whatever its form: gzip-compressed or not (told by the gzip magic bytes, so the
/// name does not matter; a name ending in .gz without them is refused), then JSON lines when the first
/// non-blank line starts with '{', else CSV/TSV with a header line.
/// </summary>
public static class EventSources
{
    public static IEventRowSource Open(string path, EventSchema schema, EventLogOptions options, IJsonEventParser? json = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(schema);
        var stream = OpenStream(path, out var gzip);
        var reader = new CsvLineReader(stream, path, options.MaxLineChars);
        try
        {
            while (reader.ReadLine(out var line, out var tooLong))
            {
                if (tooLong)
                    throw new InvalidDataException($"{path}:{reader.LineNumber}: expected a header line or a JSON object, got a line over {options.MaxLineChars} characters");
                if (!line.ContainsAnyExcept(' ', '\t')) continue;
                var suffix = gzip ? "+gzip" : "";
                if (line.TrimStart(' ')[0] == '{')
                    return new JsonLinesEventRows(reader, path, line.ToString(), reader.LineNumber, json ?? new FlatEventJsonParser(schema, options.MaxIdLength), options)
                        { Format = "jsonl" + suffix };
                var header = CsvEventHeader.Parse(path, reader.LineNumber, line, schema, options);
                return new CsvEventRows(reader, path, header, options) { Format = (header.Delimiter == '\t' ? "tsv" : "csv") + suffix };
            }
            throw new InvalidDataException($"{path}: expected a header line (CSV) or JSON objects, got an empty file");
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private static Stream OpenStream(string path, out bool gzip)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        Span<byte> magic = stackalloc byte[2];
        var got = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        gzip = got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        if (gzip) return new VerifiedGzipStream(file);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            file.Dispose();
            throw new InvalidDataException($"{path}: expected gzip data (the name ends in .gz), got a file without the gzip header (bytes 1f 8b)");
        }
        return file;
    }
}
