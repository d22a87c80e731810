namespace PeterRec.Contracts;

/// <summary>
/// A target-task label for a user, e.g. the item a user finally bought for task "rec".
/// JSON <c>{"user":"u1","task":"rec","label":"i7","ts":1700000000000}</c>, ts in unix ms.
/// </summary>
public sealed record TaskEvent(string User, string Task, string Label, long Ts)
{
    private static readonly string[] StringFields = ["user", "task", "label"];
    private static readonly string[] LongFields = ["ts"];

    public byte[] ToJson() => FlatJson.Write(("user", User), ("task", Task), ("label", Label), ("ts", Ts));

    public static ParseResult<TaskEvent> Parse(ReadOnlySpan<byte> utf8)
    {
        var s = new string?[3];
        var l = new long?[1];
        var failure = FlatJson.Read(utf8, StringFields, LongFields, s, l)
            ?? FlatJson.Require("user", s[0]) ?? FlatJson.Require("task", s[1])
            ?? FlatJson.Require("label", s[2]) ?? FlatJson.Require("ts", l[0]);
        if (failure is { } f) return ParseResult<TaskEvent>.Fail(f.Reason, f.Detail);
        var bad = EventLimits.CheckId("user", s[0]!) ?? EventLimits.CheckId("task", s[1]!) ?? EventLimits.CheckId("label", s[2]!);
        if (bad is not null) return ParseResult<TaskEvent>.Fail(DeadLetterReason.InvalidString, bad);
        var badTs = EventLimits.CheckTimestamp("ts", l[0]!.Value);
        if (badTs is not null) return ParseResult<TaskEvent>.Fail(DeadLetterReason.TimestampOutOfRange, badTs);
        return ParseResult<TaskEvent>.Ok(new TaskEvent(s[0]!, s[1]!, s[2]!, l[0]!.Value));
    }
}
