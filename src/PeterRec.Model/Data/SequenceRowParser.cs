using System.Buffers;
using System.Text;

namespace PeterRec.Model.Data;

/// <summary>
/// Parses one CSV row of item tokens into a reused list. Tokens are interned per file through a
/// span lookup, so a repeated token costs no allocation: that keeps reading well above 1M tokens/s.
/// </summary>
internal sealed class SequenceRowParser
{
    private static readonly SearchValues<char> ControlChars = SearchValues.Create(
        Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(char.IsControl).ToArray());

    private readonly string _file;
    private readonly CsvReadOptions _options;
    private readonly HashSet<string> _pool = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public SequenceRowParser(string file, CsvReadOptions options)
    {
        _file = file;
        _options = options;
        _lookup = _pool.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Line { get; set; }
    public List<string> Source { get; } = [];
    public List<string> Targets { get; } = [];

    /// <summary>Longest row worth buffering: every field at full length plus its comma.</summary>
    public static int MaxLineChars(CsvReadOptions o) =>
        (int)Math.Min(int.MaxValue / 2, (long)o.MaxTokensPerRow * (o.MaxTokenLength + 3));

    public CsvFormatException RowTooLong(ReadOnlySpan<char> prefix) =>
        Error(1, "row", $"a row of at most {MaxLineChars(_options)} characters ({_options.MaxTokensPerRow} tokens of at most {_options.MaxTokenLength} characters)",
            Show(prefix) + " (row continues)");

    /// <summary>Fills <see cref="Source"/> with the row's items, leading "0" padding dropped.</summary>
    public void ParsePretrain(ReadOnlySpan<char> line)
    {
        Source.Clear();
        var field = 0;
        var rest = line;
        var lastPadding = false;
        while (true)
        {
            field++;
            var comma = rest.IndexOf(',');
            var raw = comma >= 0 ? rest[..comma] : rest;
            CheckFieldCount(field);
            var tok = raw.Trim(' ');
            if (tok.IsEmpty)
                throw Error(field, "item", "an item token (a pretrain row has no empty fields)", Show(raw));
            lastPadding = AddSourceToken(tok, field, "item");
            if (comma < 0) break;
            rest = rest[(comma + 1)..];
        }
        if (Source.Count == 0)
            throw Error(field, "item", "at least one real item after the '0' padding", lastPadding ? "0" : "");
    }

    /// <summary>Fills <see cref="Source"/> and <see cref="Targets"/>; the first empty field is the separator.</summary>
    public void ParseFineTune(ReadOnlySpan<char> line)
    {
        Source.Clear();
        Targets.Clear();
        var field = 0;
        var rest = line;
        var inTargets = false;
        while (true)
        {
            field++;
            var comma = rest.IndexOf(',');
            var raw = comma >= 0 ? rest[..comma] : rest;
            CheckFieldCount(field);
            var tok = raw.Trim(' ');
            if (!inTargets)
            {
                if (raw.IsEmpty)
                {
                    if (Source.Count == 0)
                        throw Error(field, "source item",
                            field == 1 ? "at least one source item before the empty separator field"
                                       : "at least one real source item before the empty separator field (only '0' padding found)", "");
                    inTargets = true;
                }
                else if (tok.IsEmpty)
                {
                    throw Error(field, "source item", "a source item (a blank field is not a separator: the separator must be empty)", Show(raw));
                }
                else
                {
                    AddSourceToken(tok, field, "source item");
                }
            }
            else
            {
                if (tok.IsEmpty)
                    throw Error(field, "target", "a target token (only one empty field, the separator, is allowed)", Show(raw));
                CheckToken(tok, field, "target");
                Targets.Add(Intern(tok));
            }
            if (comma < 0) break;
            rest = rest[(comma + 1)..];
        }
        if (!inTargets)
            throw Error(field + 1, "separator", "an empty field separating source items from targets", null);
        if (Targets.Count == 0)
            throw Error(field + 1, "target", "at least one target after the separator", null);
    }

    /// <returns>True when the token was leading padding.</returns>
    private bool AddSourceToken(ReadOnlySpan<char> tok, int field, string name)
    {
        if (tok is "0")
        {
            if (Source.Count > 0)
                throw Error(field, name, "a real item (padding '0' may only precede the first item)", "0");
            return true;
        }
        CheckToken(tok, field, name);
        Source.Add(Intern(tok));
        return false;
    }

    private void CheckToken(ReadOnlySpan<char> tok, int field, string name)
    {
        if (InvalidToken(tok, _options.MaxTokenLength, out var expected, out var got)) throw Error(field, name, expected, got);
    }

    /// <summary>The token rules every reader shares: bounded length, no control characters.</summary>
    internal static bool InvalidToken(ReadOnlySpan<char> tok, int maxLength, out string expected, out string got)
    {
        (expected, got) =
            tok.Length > maxLength ? ($"a token of at most {maxLength} characters", Show(tok) + $" ({tok.Length} characters)") :
            tok.ContainsAny(ControlChars) ? ("a token without control characters", Show(tok)) :
            ("", "");
        return expected.Length > 0;
    }

    private void CheckFieldCount(int field)
    {
        if (field > _options.MaxTokensPerRow)
            throw Error(field, "row", $"at most {_options.MaxTokensPerRow} fields in a row", "more fields");
    }

    private string Intern(ReadOnlySpan<char> tok)
    {
        if (_lookup.TryGetValue(tok, out var s)) return s;
        s = tok.ToString();
        _pool.Add(s);
        return s;
    }

    private CsvFormatException Error(int field, string name, string expected, string? got) =>
        new(_file, Line, field, name, expected, got);

    /// <summary>Printable, bounded rendering of offending text for an error message.</summary>
    internal static string Show(ReadOnlySpan<char> s)
    {
        const int max = 40;
        var sb = new StringBuilder();
        foreach (var c in s.Length > max ? s[..max] : s)
        {
            if (char.IsControl(c)) sb.Append($"\\u{(int)c:x4}");
            else sb.Append(c);
        }
        if (s.Length > max) sb.Append("...");
        return sb.ToString();
    }
}
