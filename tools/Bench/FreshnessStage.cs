using PeterRec.Model.Storage;
using PeterRec.Orchestration;

namespace PeterRec.Bench;

/// <summary>
/// <c>bench-pipeline --stage freshness --rate R</c>: the whole pipeline of <c>peterrec run</c> (dev broker, Ingest,
/// Trainer, Serving as separate processes) at a fixed offered rate; freshness is exact per observed recommendation
/// write (click event time -> recommendations written), see <see cref="FreshnessProbe"/>.
/// </summary>
internal static class FreshnessStage
{
    public static async Task<Dictionary<string, object?>> RunAsync(double rate, string? backbone, string? redis, int streamUsers, CancellationToken ct)
    {
        var settings = new RunSettings
        {
            WorkDir = ".peterrec/bench-freshness", Rate = rate, Redis = redis, StreamUsers = streamUsers,
            // The backbone of `peterrec run` if there is one (pretraining is not what this stage measures).
            Backbone = backbone ?? (File.Exists(Path.Combine(".peterrec/run/backbone", ModelStore.BackboneFile)) ? ".peterrec/run/backbone" : null),
            KeyPrefix = $"benchfresh{Guid.NewGuid():N}"[..20],
        };
        var problems = settings.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        var s = await RunPipeline.RunAsync(settings, new ProgressView(TimeSpan.FromSeconds(5), quiet: true),
            line => Console.Error.WriteLine($"bench-pipeline: {line}"), ct);
        return new Dictionary<string, object?>
        {
            ["stage"] = "freshness", ["offered_rate"] = rate,
            ["achieved_rate"] = Math.Round(s.EventsProduced.Total / Math.Max(s.ReplaySeconds, 1e-9)),
            ["events"] = s.EventsProduced.Total, ["users_with_recs"] = s.UsersWithRecs, ["patch_versions"] = s.PatchVersions,
            ["freshness_p50_ms"] = s.FreshnessMs.P50, ["freshness_p99_ms"] = s.FreshnessMs.P99, ["freshness_max_ms"] = s.FreshnessMs.Max,
            ["freshness_samples"] = s.FreshnessMs.Samples, ["freshness_source"] = s.FreshnessMs.Source, ["drained"] = s.Drained,
            ["freshness_stages_ms"] = s.FreshnessStagesMs, ["processors"] = Environment.ProcessorCount,
        };
    }
}
