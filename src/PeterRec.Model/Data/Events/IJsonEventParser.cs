namespace PeterRec.Model.Data.Events;

/// <summary>
/// Parses one JSON line of an event file into a <see cref="JsonEventRow"/>. Pluggable so that the topics'
/// own contract parsers can stand in for <see cref="FlatEventJsonParser"/> (an adapter fills the row from
/// the parsed event and maps its rejection to an <see cref="EventFieldError"/>).
/// </summary>
public interface IJsonEventParser
{
    /// <summary>Null when the line is a row (written into <paramref name="row"/>), else why it is not one.</summary>
    EventFieldError? Parse(ReadOnlySpan<byte> utf8, JsonEventRow row);
}

/// <summary>A parsed JSON row in reused buffers: no allocation per row.</summary>
public sealed class JsonEventRow
{
    private char[] _user = new char[256], _value = new char[256];
    private int _userLength, _valueLength;

    public ReadOnlySpan<char> User => _user.AsSpan(0, _userLength);
    public ReadOnlySpan<char> Value => _value.AsSpan(0, _valueLength);
    public long TimeMs { get; set; }
    /// <summary>A well-formed row that does not belong to this read (a label of another task).</summary>
    public bool Ignored { get; set; }

    public void Reset()
    {
        _userLength = _valueLength = 0;
        TimeMs = 0;
        Ignored = false;
    }

    public void SetUser(ReadOnlySpan<char> user) => Set(user, ref _user, out _userLength);

    public void SetValue(ReadOnlySpan<char> value) => Set(value, ref _value, out _valueLength);

    /// <summary>A buffer of at least <paramref name="length"/> chars to decode the user into; then <see cref="CommitUser"/>.</summary>
    public Span<char> UserBuffer(int length) => Grow(ref _user, length);

    public Span<char> ValueBuffer(int length) => Grow(ref _value, length);

    public void CommitUser(int length) => _userLength = length;

    public void CommitValue(int length) => _valueLength = length;

    private static void Set(ReadOnlySpan<char> text, ref char[] buffer, out int length)
    {
        text.CopyTo(Grow(ref buffer, text.Length));
        length = text.Length;
    }

    private static Span<char> Grow(ref char[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new char[Math.Max(length, buffer.Length * 2)];
        return buffer;
    }
}
