using System.Text;

namespace PeterRec.Model.Data.Events;

/// <summary>Rows of a JSON lines event file (one object per line, as the topics carry them), parsed by a pluggable <see cref="IJsonEventParser"/>.</summary>
internal sealed class JsonLinesEventRows : IEventRowSource
{
    private readonly CsvLineReader _reader;
    private readonly string _file;
    private readonly IJsonEventParser _parser;
    private readonly EventLogOptions _options;
    private readonly JsonEventRow _row = new();
    private string? _first;
    private readonly int _firstLine;
    private byte[] _utf8 = new byte[4096];

    /// <param name="first">The first non-blank line, already read by whoever sniffed the format.</param>
    public JsonLinesEventRows(CsvLineReader reader, string file, string first, int firstLine, IJsonEventParser parser, EventLogOptions options)
    {
        _reader = reader;
        _file = file;
        _first = first;
        _firstLine = firstLine;
        _parser = parser;
        _options = options;
    }

    public string Format { get; init; } = "jsonl";
    public long IgnoredRows { get; private set; }

    public bool Next(out EventRow row)
    {
        while (true)
        {
            ReadOnlySpan<char> line;
            int n;
            if (_first is not null)
            {
                line = _first;
                n = _firstLine;
                _first = null;
            }
            else
            {
                if (!_reader.ReadLine(out line, out var tooLong)) break;
                n = _reader.LineNumber;
                if (tooLong)
                    throw new CsvFormatException(_file, n, 1, "object", $"a line of at most {_options.MaxLineChars} characters", SequenceRowParser.Show(line) + " (line continues)");
            }
            if (!line.ContainsAnyExcept(' ', '\t')) continue; // blank line
            var max = Encoding.UTF8.GetMaxByteCount(line.Length);
            if (_utf8.Length < max) _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
            var length = Encoding.UTF8.GetBytes(line, _utf8);
            if (_parser.Parse(_utf8.AsSpan(0, length), _row) is { } error) throw error.ToException(_file, n);
            if (_row.Ignored)
            {
                IgnoredRows++;
                continue;
            }
            row = new EventRow(_row.User, _row.Value, _row.TimeMs, n);
            return true;
        }
        row = default;
        return false;
    }

    public void Dispose() => _reader.Dispose();
}
