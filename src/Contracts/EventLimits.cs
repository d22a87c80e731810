namespace PeterRec.Contracts;

/// <summary>Bounds every parser enforces, so one bad producer cannot blow up a window or a Redis key.</summary>
public static class EventLimits
{
    /// <summary>Longest user, item, task or label id, in UTF-16 code units.</summary>
    public const int MaxIdLength = 128;

    /// <summary>2000-01-01T00:00:00Z in unix ms: anything earlier is a unit mistake (seconds instead of ms).</summary>
    public const long MinTimestampMs = 946_684_800_000;

    /// <summary>2100-01-01T00:00:00Z in unix ms: anything later is a unit mistake (micro- or nanoseconds).</summary>
    public const long MaxTimestampMs = 4_102_444_800_000;

    /// <summary>Ids are non-empty, bounded and free of control characters (which would break logs and line formats).</summary>
    public static string? CheckId(string field, string value)
    {
        if (value.Length == 0) return $"field '{field}' must not be empty";
        if (value.Length > MaxIdLength) return $"field '{field}' is {value.Length} characters long, at most {MaxIdLength} allowed";
        foreach (var c in value)
            if (char.IsControl(c)) return $"field '{field}' contains a control character (U+{(int)c:X4})";
        return null;
    }

    public static string? CheckTimestamp(string field, long value) =>
        value is < MinTimestampMs or >= MaxTimestampMs
            ? $"field '{field}' = {value} is outside [{MinTimestampMs}, {MaxTimestampMs}) (unix milliseconds, years 2000-2099)"
            : null;
}
