using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeterRec.Orchestration;

public sealed record ProducedCounts(long Clicks, long TaskEvents, long Total);

/// <summary>The trainer's sliding-window metric as first seen full and as last seen, with the labels trained by then.</summary>
public sealed record PrequentialPoint(double Value, long LabelsTrained);

/// <param name="Baseline">The popularity baseline (label counts so far) on the same events and window, as last seen.</param>
/// <param name="Lift">Last window's model metric over the baseline's; null while the baseline is 0.</param>
public sealed record PrequentialSummary(string Metric, int Window, PrequentialPoint? First, PrequentialPoint? Last, double? Total,
    BaselineSummary? Baseline = null, double? Lift = null, double? LiftTotal = null);

/// <summary>The trainer's online popularity baseline: its metric over the last window and since the start.</summary>
public sealed record BaselineSummary(string Name, double? Last, double? Total);

/// <param name="Source">"exact" (every observed recommendation write) or "histogram" (bucket-interpolated from Serving's metric).</param>
public sealed record FreshnessSummary(double? P50, double? P99, double? Max, long Samples, string Source);

/// <summary>One stage of click-to-recommendations freshness (see <see cref="FreshnessProbe.Stages"/>), in ms.</summary>
public sealed record StageLatency(string Stage, double? P50, double? P99, double? Max, long Samples);

/// <summary>The JSON that <c>peterrec run --summary FILE</c> writes; numbers are measured, never estimated.</summary>
public sealed record RunSummary(
    ProducedCounts EventsProduced,
    long EventsIngested,
    long EventsDeadLettered,
    long LabelsTrained,
    long LabelsHeldOut,
    long TrainSteps,
    long PatchVersions,
    long? PatchVersionServed,
    long UsersWithRecs,
    PrequentialSummary Prequential,
    FreshnessSummary FreshnessMs,
    double OfferedRate,
    double ReplaySeconds,
    double WallSeconds,
    bool Drained,
    string Backbone,
    string WorkDir,
    IReadOnlyList<StageLatency>? FreshnessStagesMs = null)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static RunSummary FromJson(string json) =>
        JsonSerializer.Deserialize<RunSummary>(json, Json) ?? throw new InvalidDataException("empty run summary");

    /// <summary>Exact freshness samples in ms -> p50, p99, max.</summary>
    public static FreshnessSummary Freshness(IEnumerable<double> samplesMs)
    {
        var sorted = samplesMs.Order().ToList();
        return new FreshnessSummary(Round(Percentiles.Of(sorted, 0.5)), Round(Percentiles.Of(sorted, 0.99)),
            sorted.Count == 0 ? null : sorted[^1], sorted.Count, "exact");
    }

    /// <summary>Per stage, exact samples in ms -> p50, p99, max (the stages' p99s do not add up to the total's).</summary>
    public static IReadOnlyList<StageLatency> Stages(IReadOnlyList<string> names, double[][] samplesMs) =>
        [.. names.Select((name, i) =>
        {
            var f = Freshness(samplesMs[i]);
            return new StageLatency(name, f.P50, f.P99, f.Max, f.Samples);
        })];

    private static double? Round(double? v) => v is { } x ? Math.Round(x, 1) : null;
}
