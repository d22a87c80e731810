using System.Text;

namespace PeterRec.Model.Data;

/// <summary>
/// Streams a text file line by line as spans over reused buffers: no per-line or per-char allocation, and only '\n'
/// ends a line (a stray '\r' inside a row stays visible to the parser as a control character instead of silently
/// splitting the row). Lines are split on the raw bytes ('\n' never occurs inside a UTF-8 sequence) and each line is
/// decoded on its own, so invalid UTF-8 is reported on the line that holds it, as a <see cref="CsvFormatException"/>
/// thrown after the line was consumed: a reader that skips bad rows just reads on. A row longer than
/// <c>maxLineChars</c> is drained without buffering it and reported as too long.
/// </summary>
internal sealed class CsvLineReader : IDisposable
{
    // Throwing on invalid UTF-8 rather than substituting U+FFFD: a mangled token would otherwise become a new, wrong
    // vocabulary entry.
    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding Lenient = new(false, throwOnInvalidBytes: false); // only to show a refused, too long row
    private readonly Stream _stream;
    private readonly string _path;
    private readonly int _maxLineChars;
    private readonly int _maxLineBytes;
    private readonly byte[] _buf = new byte[1 << 16];
    private int _pos, _len;
    private bool _eof, _started;
    private byte[] _acc = new byte[1024];
    private int _accLen;
    private char[] _chars = new char[1024];

    public CsvLineReader(string path, int maxLineChars)
        : this(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan), path, maxLineChars)
    {
    }

    /// <summary>Reads an already opened stream (e.g. a decompressing one); <paramref name="path"/> names it in errors. Takes ownership.</summary>
    public CsvLineReader(Stream stream, string path, int maxLineChars)
    {
        _stream = stream;
        _path = path;
        _maxLineChars = maxLineChars;
        _maxLineBytes = (int)Math.Min(int.MaxValue / 2, 4L * maxLineChars); // a char is at most 4 bytes of UTF-8 (a surrogate pair: 4 for 2)
    }

    /// <summary>1-based number of the line last returned (or refused).</summary>
    public int LineNumber { get; private set; }

    /// <summary>
    /// Next line without its '\n' (a trailing '\r' is removed too; a UTF-8 byte-order mark at the start of the file is
    /// skipped). The span is valid until the next call. Invalid UTF-8 throws <see cref="CsvFormatException"/> naming
    /// the line, after consuming it.
    /// </summary>
    public bool ReadLine(out ReadOnlySpan<char> line, out bool tooLong)
    {
        _accLen = 0;
        tooLong = false;
        var spilled = false;
        while (true)
        {
            if (_pos == _len && (_eof || !Fill()))
            {
                if (!spilled) { line = default; return false; }
                LineNumber++;
                line = Decode(_acc.AsSpan(0, _accLen), ref tooLong);
                return true;
            }
            var avail = _buf.AsSpan(_pos, _len - _pos);
            var nl = avail.IndexOf((byte)'\n');
            if (nl >= 0)
            {
                LineNumber++;
                _pos += nl + 1;
                if (spilled) Append(avail[..nl], ref tooLong);
                line = Decode(spilled ? _acc.AsSpan(0, _accLen) : avail[..nl], ref tooLong);
                return true;
            }
            Append(avail, ref tooLong);
            spilled = true;
            _pos = _len;
        }
    }

    private ReadOnlySpan<char> Decode(scoped ReadOnlySpan<byte> bytes, scoped ref bool tooLong)
    {
        if (bytes.Length > 0 && bytes[^1] == (byte)'\r') bytes = bytes[..^1];
        if (bytes.Length > _maxLineBytes)
        {
            bytes = bytes[.._maxLineBytes];
            tooLong = true;
        }
        if (_chars.Length < bytes.Length) _chars = new char[Math.Max(bytes.Length, _chars.Length * 2)];
        int n;
        if (tooLong) n = Lenient.GetChars(bytes, _chars); // cut at the limit, maybe inside a character: shown, then refused
        else
        {
            try { n = Strict.GetChars(bytes, _chars); }
            catch (DecoderFallbackException e) { throw InvalidUtf8(bytes, e); }
        }
        if (n > _maxLineChars) tooLong = true;
        return _chars.AsSpan(0, n);
    }

    private CsvFormatException InvalidUtf8(ReadOnlySpan<byte> bytes, DecoderFallbackException e)
    {
        var at = Math.Clamp(e.Index, 0, bytes.Length);
        var field = 1 + bytes[..at].Count((byte)',') + bytes[..at].Count((byte)'\t');
        var bad = string.Join(' ', (e.BytesUnknown ?? []).Select(b => $"0x{b:X2}"));
        return new CsvFormatException(_path, LineNumber, field, "text", "UTF-8 text", $"invalid byte(s) {bad} at byte {at + 1} of the line");
    }

    private bool Fill()
    {
        while (true)
        {
            try
            {
                _len = _stream.Read(_buf, 0, _buf.Length);
            }
            catch (InvalidDataException e)
            {
                // A decompressing stream (gzip) found corrupt or truncated data.
                throw new InvalidDataException($"{_path}:{LineNumber + 1}: expected intact compressed data, got a corrupt stream near this line ({e.Message})", e);
            }
            _pos = 0;
            if (_len == 0)
            {
                _eof = true;
                return false;
            }
            if (!_started)
            {
                _started = true;
                if (_len >= 3 && _buf[0] == 0xEF && _buf[1] == 0xBB && _buf[2] == 0xBF) _pos = 3; // the BOM
            }
            if (_pos < _len) return true;
        }
    }

    private void Append(ReadOnlySpan<byte> chunk, ref bool tooLong)
    {
        if (tooLong) return;
        if (_accLen + chunk.Length > _maxLineBytes)
        {
            // Keep what fits for the error message, drop the rest of the row.
            chunk = chunk[..(_maxLineBytes - _accLen)];
            tooLong = true;
        }
        if (_accLen + chunk.Length > _acc.Length)
            Array.Resize(ref _acc, Math.Max(_acc.Length * 2, _accLen + chunk.Length));
        chunk.CopyTo(_acc.AsSpan(_accLen));
        _accLen += chunk.Length;
    }

    public void Dispose() => _stream.Dispose();
}
