using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeterRec.Contracts;

/// <summary>
/// What a published version of a task's weights says about itself: the manifest inside the value the Trainer writes
/// to <see cref="RedisKeys.Version"/> and Serving validates before swapping it in.
/// </summary>
public sealed record VersionManifest
{
    public required string Task { get; init; }
    /// <summary>"rec" or "cls".</summary>
    public required string Kind { get; init; }
    public required long Version { get; init; }
    /// <summary>Optimizer steps the weights have seen.</summary>
    public required long Step { get; init; }
    /// <summary>Fine-tuning mode name (which tensors the version carries), e.g. "peterrec-serial".</summary>
    public required string Mode { get; init; }
    /// <summary>Bottleneck width of every model patch.</summary>
    public required int PatchHidden { get; init; }
    public required int Channels { get; init; }
    /// <summary>Rows of the target table (the head's first dimension).</summary>
    public required int Capacity { get; init; }
    /// <summary>Label of each used row, row order: row i names <c>Labels[i]</c>; rows past the end are unused.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Content hash of the backbone the weights were trained over.</summary>
    public required string BackboneFingerprint { get; init; }
    public required long CreatedMs { get; init; }
    /// <summary>The prequential metric when the version was made (absent in versions published before it was recorded).</summary>
    public VersionQuality? Prequential { get; init; }
    /// <summary>What the publish gate decided for this version (absent when no gate ran, e.g. a version republished after a restart).</summary>
    public VersionGate? Gate { get; init; }
    /// <summary>Set on a rollback: the version whose weights this one republishes under a new, higher number.</summary>
    public long? RollbackOf { get; init; }
    /// <summary>The publishing trainer's lease fencing token (see <see cref="RedisKeys.LeaseToken"/>); 0 in versions
    /// written before leases. Serving refuses a version whose token is older than the highest it has seen.</summary>
    public long FencingToken { get; init; }

    /// <summary>snake_case JSON, the same for every manifest the artifacts carry.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <exception cref="InvalidDataException">Not a manifest, or one that contradicts itself.</exception>
    public static VersionManifest Parse(string json, string what)
    {
        VersionManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<VersionManifest>(json, Json) ?? throw new InvalidDataException($"{what}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: manifest is not valid: {e.Message}", e);
        }
        if (manifest.Labels.Count > manifest.Capacity)
            throw new InvalidDataException($"{what}: {manifest.Labels.Count} labels for a table of {manifest.Capacity} rows");
        return manifest;
    }
}

/// <summary>The prequential metric (hr_5 for rec, accuracy for cls) over the trainer's window, and the popularity baseline's.</summary>
public sealed record VersionQuality(string Metric, double Value, long Events, double? Baseline);

/// <summary>The publish gate's verdict: reason (ok, no_baseline, few_events), and the held-back metric of candidate and published version.</summary>
public sealed record VersionGate(string Reason, double? Candidate, double? Published, int Events);
