using System.Text;

namespace PeterRec.Model.Data;

/// <summary>
/// Token &lt;-&gt; id map. Special tokens occupy the first ids in the order given, so the source
/// vocabulary of a pretrained backbone always has padding at 0 and the OOV token at 1.
/// Equality is by the token sequence, which is what a saved backbone must match.
/// </summary>
public sealed class Vocabulary : IEquatable<Vocabulary>
{
    public static readonly string[] SourceSpecials = ["<pad>", "<unk>"];
    public const int PadId = 0, UnkId = 1;
    public const string UnkToken = "<unk>";

    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly List<string> _tokens = [];
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public Vocabulary(IEnumerable<string> specials)
    {
        ArgumentNullException.ThrowIfNull(specials);
        _bySpan = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var s in specials)
        {
            if (_ids.ContainsKey(s))
                throw new ArgumentException($"special token '{s}' is listed twice", nameof(specials));
            Add(s);
        }
        SpecialCount = _tokens.Count;
    }

    /// <summary>Ids follow first-seen order after the specials, so the same input always gives the same ids.</summary>
    public static Vocabulary Build(IEnumerable<string> tokens, IEnumerable<string> specials)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var v = new Vocabulary(specials);
        foreach (var t in tokens) v.Add(t);
        return v;
    }

    public int Count => _tokens.Count;
    public int SpecialCount { get; }
    public IReadOnlyList<string> Tokens => _tokens;

    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>Looks a token up without allocating a string (readers intern ids straight from their line buffers).</summary>
    public bool TryGetId(ReadOnlySpan<char> token, out int id) => _bySpan.TryGetValue(token, out id);

    /// <summary>The token's id, adding it first when new; a token already present costs no allocation.</summary>
    public int Add(ReadOnlySpan<char> token) => _bySpan.TryGetValue(token, out var id) ? id : Add(token.ToString());

    public int IdOrUnk(string token)
    {
        if (_ids.TryGetValue(token, out var id)) return id;
        if (_ids.TryGetValue(UnkToken, out var unk)) return unk;
        throw new InvalidOperationException($"token '{token}' is not in the vocabulary and the vocabulary has no '{UnkToken}' token");
    }

    public string Token(int id)
    {
        if ((uint)id >= (uint)_tokens.Count)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"id must be in [0, {_tokens.Count})");
        return _tokens[id];
    }

    public int Add(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_ids.TryGetValue(token, out var id)) return id;
        // One token per line on disk: a token that is empty or spans lines could not be read back.
        if (token.Length == 0) throw new ArgumentException("a vocabulary token must not be empty", nameof(token));
        if (token.AsSpan().IndexOfAny('\n', '\r') >= 0)
            throw new ArgumentException($"a vocabulary token must not contain a line break: '{token.ReplaceLineEndings("\\n")}'", nameof(token));
        id = _tokens.Count;
        _tokens.Add(token);
        _ids.Add(token, id);
        return id;
    }

    /// <summary>One token per line, UTF-8 without BOM, written to a temporary file and renamed so a crash never leaves half a vocabulary.</summary>
    public void Save(string path)
    {
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)) { NewLine = "\n" })
        {
            foreach (var t in _tokens) w.WriteLine(t);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static Vocabulary Load(string path, IEnumerable<string> specials)
    {
        var expected = specials.ToArray();
        var tokens = new List<string>();
        var line = 0;
        foreach (var raw in File.ReadLines(path, Encoding.UTF8))
        {
            line++;
            if (raw.Length == 0)
                throw new InvalidDataException($"{path}:{line}: expected a token, got an empty line");
            tokens.Add(raw);
        }
        if (tokens.Count < expected.Length)
            throw new InvalidDataException($"{path}: expected the vocabulary to start with the special tokens [{string.Join(", ", expected)}], but the file has only {tokens.Count} line(s)");
        for (var i = 0; i < expected.Length; i++)
        {
            if (!string.Equals(tokens[i], expected[i], StringComparison.Ordinal))
                throw new InvalidDataException($"{path}:{i + 1}: expected special token '{expected[i]}' (specials [{string.Join(", ", expected)}] must head the file), got '{tokens[i]}'");
        }
        var v = new Vocabulary(expected);
        for (var i = expected.Length; i < tokens.Count; i++)
        {
            if (v.TryGetId(tokens[i], out var first))
                throw new InvalidDataException($"{path}:{i + 1}: expected a new token, got '{tokens[i]}' which already appears on line {first + 1}");
            v.Add(tokens[i]);
        }
        return v;
    }

    public bool Equals(Vocabulary? other) =>
        other is not null && (ReferenceEquals(this, other) || _tokens.SequenceEqual(other._tokens, StringComparer.Ordinal));

    public override bool Equals(object? obj) => Equals(obj as Vocabulary);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var t in _tokens) h.Add(t, StringComparer.Ordinal);
        return h.ToHashCode();
    }

    public static bool operator ==(Vocabulary? a, Vocabulary? b) => a is null ? b is null : a.Equals(b);
    public static bool operator !=(Vocabulary? a, Vocabulary? b) => !(a == b);
}
