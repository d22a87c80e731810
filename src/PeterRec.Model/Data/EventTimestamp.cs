using System.Globalization;

namespace PeterRec.Model.Data;

/// <summary>
/// Event times as users' logs write them, normalised to unix milliseconds (UTC).
/// <list type="bullet">
/// <item>A number (optionally with a decimal fraction) is unix time; its integer part tells the unit:
/// below 10^11 it is seconds (10^11 s is the year 5138), from 10^11 on it is milliseconds (10^11 ms is
/// 1973-03-03). So seconds cover every date a log can hold and milliseconds every date after March 1973;
/// a millisecond stamp before that would be read as seconds (and so land far in the future, where the
/// range check refuses it). A fraction of a second is kept to the millisecond.</item>
/// <item>Otherwise an ISO 8601 date or date-time starting <c>YYYY-MM-DD</c> (a <c>T</c> or a space before the
/// time; <c>Z</c> or an offset; none means UTC).</item>
/// </list>
/// Accepted range: 1970-01-01 to 2099-12-31 (micro- or nanosecond stamps are out of range, not misread).
/// </summary>
public static class EventTimestamp
{
    /// <summary>Integer parts below this are seconds, from it on milliseconds.</summary>
    public const long MillisecondsFrom = 100_000_000_000;

    /// <summary>2100-01-01T00:00:00Z in unix ms, the first time refused (as the clicks topic's contract).</summary>
    public const long EndMs = 4_102_444_800_000;

    public const string Expected =
        "a timestamp: unix seconds (below 10^11) or milliseconds, or ISO 8601 like 2024-05-01T12:00:00Z, between 1970 and 2099";

    public static bool TryParse(ReadOnlySpan<char> text, out long unixMs)
    {
        unixMs = 0;
        text = text.Trim(' ');
        if (text.IsEmpty) return false;
        return LooksLikeDate(text) ? TryParseIso(text, out unixMs) : TryParseNumber(text, out unixMs);
    }

    /// <summary>Parses a command-line time (same forms); throws <see cref="ArgumentException"/> naming the option.</summary>
    public static long Parse(string text, string option) =>
        TryParse(text, out var ms) ? ms : throw new ArgumentException($"{option} '{text}': expected {Expected}");

    public static string Format(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static bool TryParseNumber(ReadOnlySpan<char> text, out long unixMs)
    {
        unixMs = 0;
        var dot = text.IndexOf('.');
        var whole = dot >= 0 ? text[..dot] : text;
        var fraction = dot >= 0 ? text[(dot + 1)..] : default;
        if (whole.IsEmpty || whole.ContainsAnyExceptInRange('0', '9') || fraction.ContainsAnyExceptInRange('0', '9')) return false;
        if (dot >= 0 && fraction.IsEmpty) return false;
        if (whole.Length > 18 || !long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return false;
        if (value < MillisecondsFrom)
        {
            long ms = 0;
            for (int i = 0, scale = 100; i < fraction.Length && i < 3; i++, scale /= 10) ms += (fraction[i] - '0') * scale;
            unixMs = value * 1000 + ms;
        }
        else unixMs = value; // sub-millisecond digits are dropped
        return unixMs < EndMs;
    }

    private static bool LooksLikeDate(ReadOnlySpan<char> t) =>
        t.Length >= 10 && t[4] == '-' && t[7] == '-' && !t[..4].ContainsAnyExceptInRange('0', '9')
        && !t[5..7].ContainsAnyExceptInRange('0', '9') && !t[8..10].ContainsAnyExceptInRange('0', '9');

    private static bool TryParseIso(ReadOnlySpan<char> text, out long unixMs)
    {
        unixMs = 0;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return false;
        unixMs = t.ToUnixTimeMilliseconds();
        return unixMs is >= 0 and < EndMs;
    }
}
