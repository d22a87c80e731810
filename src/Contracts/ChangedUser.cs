namespace PeterRec.Contracts;

/// <summary>
/// Ingest's announcement that a user's window was written. <see cref="Ts"/> is the newest click ts (unix ms) that the
/// write covered, so a consumer can measure freshness as now - Ts. JSON <c>{"user":"u1","ts":1700000000000}</c>.
/// </summary>
/// <remarks>At-least-once: a redelivered click batch announces its users again even if the window did not change.</remarks>
public sealed record ChangedUser(string User, long Ts)
{
    private static readonly string[] StringFields = ["user"];
    private static readonly string[] LongFields = ["ts"];

    public byte[] ToJson() => FlatJson.Write(("user", User), ("ts", Ts));

    public static ParseResult<ChangedUser> Parse(ReadOnlySpan<byte> utf8)
    {
        var s = new string?[1];
        var l = new long?[1];
        var failure = FlatJson.Read(utf8, StringFields, LongFields, s, l)
            ?? FlatJson.Require("user", s[0]) ?? FlatJson.Require("ts", l[0]);
        if (failure is { } f) return ParseResult<ChangedUser>.Fail(f.Reason, f.Detail);
        var bad = EventLimits.CheckId("user", s[0]!);
        if (bad is not null) return ParseResult<ChangedUser>.Fail(DeadLetterReason.InvalidString, bad);
        var badTs = EventLimits.CheckTimestamp("ts", l[0]!.Value);
        if (badTs is not null) return ParseResult<ChangedUser>.Fail(DeadLetterReason.TimestampOutOfRange, badTs);
        return ParseResult<ChangedUser>.Ok(new ChangedUser(s[0]!, l[0]!.Value));
    }
}
