using System.Text.Json;

namespace PeterRec.Contracts;

/// <summary>One recommended target and its score (the head's dot product; higher is better).</summary>
public sealed record RecItem(string Id, float Score);

/// <summary>
/// Value of <c>&lt;prefix&gt;:{u:&lt;user&gt;}:recs:&lt;task&gt;</c>:
/// <c>{"user","task","version","step","click_ts","ts","items":[{"id","score"}...]}</c>, best first; ts = when written,
/// click_ts = the newest click covered (both unix ms); version = the published version that scored it.
/// </summary>
public sealed record RecsValue(string User, string Task, long Version, long Step, long ClickTs, long Ts, IReadOnlyList<RecItem> Items)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, RecsJson.Options);

    public static RecsValue Parse(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<RecsValue>(json, RecsJson.Options) ?? throw new InvalidDataException("empty recommendations value");
}

/// <summary>Value of <c>&lt;prefix&gt;:{u:&lt;user&gt;}:rep:&lt;task&gt;</c>: <c>{"user","task","version","ts","rep":[...]}</c>.</summary>
public sealed record RepValue(string User, string Task, long Version, long Ts, float[] Rep)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, RecsJson.Options);
}

internal static class RecsJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
