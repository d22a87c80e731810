using System.Text.Json;

namespace PeterRec.Contracts;

/// <summary>One recommended target and its score (the head's dot product; higher is better).</summary>
public sealed record RecItem(string Id, float Score);

/// <summary>
/// Value of <c>&lt;prefix&gt;:{u:&lt;user&gt;}:recs:&lt;task&gt;</c>:
/// <c>{"user","task","version","step","click_ts","ts","items":[{"id","score"}...]}</c>, best first; ts = when written,
/// click_ts = the newest click covered (both unix ms); version = the published version that scored it;
/// cause = why it was written: <see cref="Causes.Click"/> (a changed user), <see cref="Causes.FirstVersion"/> (announced
/// before the task had a version) or <see cref="Causes.Rescore"/> (a new version, no new click). Only click writes
/// measure click-to-recommendations freshness; the other two are late by design. trace = the stage stamps of a click
/// write (<see cref="RecsTrace"/>), absent for the other causes.
/// </summary>
public sealed record RecsValue(string User, string Task, long Version, long Step, long ClickTs, long Ts, IReadOnlyList<RecItem> Items,
    string Cause = RecsValue.Causes.Click, RecsTrace? Trace = null)
{
    public static class Causes
    {
        public const string Click = "click";
        public const string FirstVersion = "first_version";
        public const string Rescore = "rescore";
    }

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, RecsJson.Options);

    public static RecsValue Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<RecsValue>(json, RecsJson.Options) ?? throw new InvalidDataException("empty recommendations value");
}

/// <summary>
/// When a click write passed each stage, unix ms on each role's own clock (skew between hosts shows up as a stage
/// off by the skew): produced = the click record's Kafka timestamp and durable = Ingest's window write returned (both
/// null when the announcement carried no stamps), announced = the changed-user record's Kafka timestamp, batch =
/// Serving's batch began, read = its windows were read and encoded; the value's ts is when scoring (forward + top-N)
/// ended, just before the write.
/// </summary>
public sealed record RecsTrace(long? Produced, long? Durable, long Announced, long Batch, long Read);

/// <summary>Value of <c>&lt;prefix&gt;:{u:&lt;user&gt;}:rep:&lt;task&gt;</c>: <c>{"user","task","version","ts","rep":[...]}</c>.</summary>
public sealed record RepValue(string User, string Task, long Version, long Ts, float[] Rep)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, RecsJson.Options);
}

internal static class RecsJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
