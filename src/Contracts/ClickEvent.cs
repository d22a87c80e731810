namespace PeterRec.Contracts;

/// <summary>A user clicked (consumed) an item. JSON <c>{"user":"u1","item":"i42","ts":1700000000000}</c>, ts in unix ms.</summary>
public sealed record ClickEvent(string User, string Item, long Ts)
{
    private static readonly string[] StringFields = ["user", "item"];
    private static readonly string[] LongFields = ["ts"];

    public byte[] ToJson() => FlatJson.Write(("user", User), ("item", Item), ("ts", Ts));

    public static ParseResult<ClickEvent> Parse(ReadOnlySpan<byte> utf8)
    {
        var s = new string?[2];
        var l = new long?[1];
        var failure = FlatJson.Read(utf8, StringFields, LongFields, s, l)
            ?? FlatJson.Require("user", s[0]) ?? FlatJson.Require("item", s[1]) ?? FlatJson.Require("ts", l[0]);
        if (failure is { } f) return ParseResult<ClickEvent>.Fail(f.Reason, f.Detail);
        var bad = EventLimits.CheckId("user", s[0]!) ?? EventLimits.CheckId("item", s[1]!);
        if (bad is not null) return ParseResult<ClickEvent>.Fail(DeadLetterReason.InvalidString, bad);
        var badTs = EventLimits.CheckTimestamp("ts", l[0]!.Value);
        if (badTs is not null) return ParseResult<ClickEvent>.Fail(DeadLetterReason.TimestampOutOfRange, badTs);
        return ParseResult<ClickEvent>.Ok(new ClickEvent(s[0]!, s[1]!, l[0]!.Value));
    }
}
