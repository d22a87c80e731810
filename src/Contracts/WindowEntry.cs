using System.Globalization;

namespace PeterRec.Contracts;

/// <summary>
/// One click in a user window. Stored as the Redis list element <c>"&lt;ts&gt;:&lt;item&gt;"</c> (ts in unix ms,
/// decimal; the item is everything after the first colon, so items may contain colons).
/// </summary>
public readonly record struct WindowEntry(string Item, long Ts)
{
    public string Encode() => string.Create(CultureInfo.InvariantCulture, $"{Ts}:{Item}");

    public static WindowEntry Decode(string value)
    {
        var colon = value.IndexOf(':');
        if (colon <= 0 || !long.TryParse(value.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
            throw new FormatException($"window entry '{value}' is not '<ts>:<item>'");
        return new WindowEntry(value[(colon + 1)..], ts);
    }
}
