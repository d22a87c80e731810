namespace PeterRec.Contracts;

/// <summary>
/// Ingest's announcement that a user's window was written. <see cref="Ts"/> is the newest click ts (unix ms) that the
/// write covered, so a consumer can measure freshness as now - Ts. JSON <c>{"user":"u1","ts":1700000000000}</c>, plus
/// the optional stage stamps <c>"produced"</c> (the newest of the user's click records' Kafka timestamps in the batch)
/// and <c>"durable"</c> (when Ingest's window write returned), both unix ms, for the freshness breakdown.
/// </summary>
/// <remarks>
/// At-least-once: a redelivered click batch announces its users again even if the window did not change. The stage
/// stamps are diagnostics: a consumer must not depend on them (other producers, e.g. the window rebuild, omit them).
/// </remarks>
public sealed record ChangedUser(string User, long Ts, long? Produced = null, long? Durable = null)
{
    private static readonly string[] StringFields = ["user"];
    private static readonly string[] LongFields = ["ts", "produced", "durable"];

    public byte[] ToJson() => Produced is { } p && Durable is { } d
        ? FlatJson.Write(("user", User), ("ts", Ts), ("produced", p), ("durable", d))
        : FlatJson.Write(("user", User), ("ts", Ts));

    public static ParseResult<ChangedUser> Parse(ReadOnlySpan<byte> utf8)
    {
        var s = new string?[1];
        var l = new long?[3];
        var failure = FlatJson.Read(utf8, StringFields, LongFields, s, l)
            ?? FlatJson.Require("user", s[0]) ?? FlatJson.Require("ts", l[0]);
        if (failure is { } f) return ParseResult<ChangedUser>.Fail(f.Reason, f.Detail);
        var bad = EventLimits.CheckId("user", s[0]!);
        if (bad is not null) return ParseResult<ChangedUser>.Fail(DeadLetterReason.InvalidString, bad);
        var badTs = EventLimits.CheckTimestamp("ts", l[0]!.Value);
        if (badTs is not null) return ParseResult<ChangedUser>.Fail(DeadLetterReason.TimestampOutOfRange, badTs);
        // A stamp out of range is dropped, not dead-lettered: it only feeds a diagnostic.
        return ParseResult<ChangedUser>.Ok(new ChangedUser(s[0]!, l[0]!.Value, Stamp("produced", l[1]), Stamp("durable", l[2])));
    }

    private static long? Stamp(string field, long? value) =>
        value is { } v && EventLimits.CheckTimestamp(field, v) is null ? v : null;
}
