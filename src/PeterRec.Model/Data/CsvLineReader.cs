using System.Text;

namespace PeterRec.Model.Data;

/// <summary>
/// Streams a text file line by line as spans over a reused buffer: no per-line or per-char
/// allocation, and only '\n' ends a line (a stray '\r' inside a row stays visible to the parser
/// as a control character instead of silently splitting the row). A row longer than
/// <c>maxLineChars</c> is drained without buffering it and reported as too long.
/// </summary>
internal sealed class CsvLineReader : IDisposable
{
    private readonly StreamReader _reader;
    private readonly string _path;
    private readonly int _maxLineChars;
    private readonly char[] _buf = new char[1 << 16];
    private int _pos, _len;
    private bool _eof;
    private char[] _acc = new char[1024];
    private int _accLen;

    public CsvLineReader(string path, int maxLineChars)
        : this(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), path, maxLineChars)
    {
    }

    /// <summary>Reads an already opened stream (e.g. a decompressing one); <paramref name="path"/> names it in errors. Takes ownership.</summary>
    public CsvLineReader(Stream stream, string path, int maxLineChars)
    {
        _path = path;
        _maxLineChars = maxLineChars;
        // Throwing on invalid UTF-8 rather than substituting U+FFFD: a mangled token would otherwise
        // become a new, wrong vocabulary entry. The BOM, if any, is consumed by detection.
        _reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, 1 << 16);
    }

    /// <summary>1-based number of the line last returned.</summary>
    public int LineNumber { get; private set; }

    /// <summary>Next line without its '\n' (a trailing '\r' is removed too). The span is valid until the next call.</summary>
    public bool ReadLine(out ReadOnlySpan<char> line, out bool tooLong)
    {
        _accLen = 0;
        tooLong = false;
        var spilled = false;
        while (true)
        {
            if (_pos == _len)
            {
                if (_eof || !Fill())
                {
                    if (!spilled) { line = default; return false; }
                    LineNumber++;
                    line = TrimCr(_acc.AsSpan(0, _accLen));
                    return true;
                }
            }
            var avail = _buf.AsSpan(_pos, _len - _pos);
            var nl = avail.IndexOf('\n');
            if (nl >= 0)
            {
                LineNumber++;
                if (!spilled)
                {
                    line = TrimCr(avail[..nl]);
                    if (line.Length > _maxLineChars) tooLong = true;
                }
                else
                {
                    Append(avail[..nl], ref tooLong);
                    line = TrimCr(_acc.AsSpan(0, _accLen));
                }
                _pos += nl + 1;
                return true;
            }
            Append(avail, ref tooLong);
            spilled = true;
            _pos = _len;
        }
    }

    private bool Fill()
    {
        try
        {
            _len = _reader.Read(_buf, 0, _buf.Length);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{_path}:{LineNumber + 1}: expected UTF-8 text, got invalid bytes near this line ({e.Message})", e);
        }
        catch (InvalidDataException e)
        {
            // A decompressing stream (gzip) found corrupt or truncated data.
            throw new InvalidDataException($"{_path}:{LineNumber + 1}: expected intact compressed data, got a corrupt stream near this line ({e.Message})", e);
        }
        _pos = 0;
        if (_len == 0) _eof = true;
        return _len > 0;
    }

    private void Append(ReadOnlySpan<char> chunk, ref bool tooLong)
    {
        if (tooLong) return;
        if (_accLen + chunk.Length > _maxLineChars)
        {
            tooLong = true; // keep what we have for the error message, drop the rest of the row
            return;
        }
        if (_accLen + chunk.Length > _acc.Length)
            Array.Resize(ref _acc, Math.Max(_acc.Length * 2, _accLen + chunk.Length));
        chunk.CopyTo(_acc.AsSpan(_accLen));
        _accLen += chunk.Length;
    }

    private static ReadOnlySpan<char> TrimCr(ReadOnlySpan<char> s) => s.Length > 0 && s[^1] == '\r' ? s[..^1] : s;

    public void Dispose() => _reader.Dispose();
}
