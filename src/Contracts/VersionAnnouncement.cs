namespace PeterRec.Contracts;

/// <summary>
/// The Trainer's note on the patches topic that a task has a new published version: key = task, JSON
/// <c>{"task":"rec","version":7,"ts":1700000000000,"token":3}</c> (ts = when it was published, unix ms; token = the
/// publisher's lease fencing token, absent = 0 in older notes). Servers also poll the latest pointer, so a lost
/// announcement only delays a swap.
/// </summary>
public sealed record VersionAnnouncement(string Task, long Version, long Ts, long Token = 0)
{
    private static readonly string[] StringFields = ["task"];
    private static readonly string[] LongFields = ["version", "ts", "token"];

    public byte[] ToJson() => FlatJson.Write(("task", Task), ("version", Version), ("ts", Ts), ("token", Token));

    public static ParseResult<VersionAnnouncement> Parse(ReadOnlySpan<byte> utf8)
    {
        var s = new string?[1];
        var l = new long?[3];
        var failure = FlatJson.Read(utf8, StringFields, LongFields, s, l)
            ?? FlatJson.Require("task", s[0]) ?? FlatJson.Require("version", l[0]) ?? FlatJson.Require("ts", l[1]);
        if (failure is { } f) return ParseResult<VersionAnnouncement>.Fail(f.Reason, f.Detail);
        if (EventLimits.CheckId("task", s[0]!) is { } bad) return ParseResult<VersionAnnouncement>.Fail(DeadLetterReason.InvalidString, bad);
        if (l[0] < 1) return ParseResult<VersionAnnouncement>.Fail(DeadLetterReason.WrongType, $"field 'version' = {l[0]} must be >= 1");
        if (l[2] < 0) return ParseResult<VersionAnnouncement>.Fail(DeadLetterReason.WrongType, $"field 'token' = {l[2]} must be >= 0");
        return ParseResult<VersionAnnouncement>.Ok(new VersionAnnouncement(s[0]!, l[0]!.Value, l[1]!.Value, l[2] ?? 0));
    }
}
