namespace PeterRec.Model.Data.Events;

/// <summary>
/// Walks the fields of one CSV line (RFC 4180 quoting within a line: a field may be wrapped in double
/// quotes, which allows the delimiter inside, and <c>""</c> inside is one quote). Unquoted fields are
/// spans of the line; nothing is allocated.
/// </summary>
internal ref struct CsvFieldWalker(ReadOnlySpan<char> line, char delimiter)
{
    private readonly ReadOnlySpan<char> _line = line;
    private int _pos;
    private bool _done;

    /// <summary>1-based number of the field last returned.</summary>
    public int Field { get; private set; }

    /// <summary>
    /// The next field: <paramref name="raw"/> is its text (inside the quotes when quoted);
    /// <paramref name="escaped"/> says it holds <c>""</c> pairs to pass through <see cref="Unescape"/>.
    /// A malformed quoted field gives an <paramref name="error"/> (what was expected, what was found) and ends the walk.
    /// </summary>
    public bool Next(out ReadOnlySpan<char> raw, out bool escaped, out (string Expected, string Got)? error)
    {
        raw = default;
        escaped = false;
        error = null;
        if (_done) return false;
        Field++;
        var rest = _line[_pos..];
        var lead = rest.Length - rest.TrimStart(' ').Length;
        if (lead < rest.Length && rest[lead] == '"')
        {
            var i = lead + 1;
            while (true)
            {
                var q = rest[i..].IndexOf('"');
                if (q < 0)
                {
                    error = ("a closing double quote", "end of line");
                    _done = true;
                    return true;
                }
                i += q;
                if (i + 1 < rest.Length && rest[i + 1] == '"') { escaped = true; i += 2; continue; }
                break;
            }
            raw = rest[(lead + 1)..i];
            var after = rest[(i + 1)..];
            var trail = after.Length - after.TrimStart(' ').Length;
            if (trail == after.Length) { _done = true; return true; }
            if (after[trail] != delimiter)
            {
                error = ("a delimiter after the closing quote", SequenceRowParser.Show(after[trail..]));
                _done = true;
                return true;
            }
            _pos += i + 1 + trail + 1;
            return true;
        }
        var d = rest.IndexOf(delimiter);
        if (d < 0)
        {
            raw = rest;
            _done = true;
        }
        else
        {
            raw = rest[..d];
            _pos += d + 1;
        }
        return true;
    }

    /// <summary>Copies <paramref name="raw"/> with each <c>""</c> turned into one quote; returns the length written.</summary>
    public static int Unescape(ReadOnlySpan<char> raw, Span<char> destination)
    {
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            destination[n++] = raw[i];
            if (raw[i] == '"') i++; // skip the second quote of the pair
        }
        return n;
    }
}
