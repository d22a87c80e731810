using PeterRec.DevBroker;
using PeterRec.Orchestration;

namespace PeterRec.Bench;

/// <summary>What `peterrec bench-pipeline` measures and at which size.</summary>
/// <param name="Stage">ingest (events/s into Redis), serve (users/s), freshness (click -> recs at <paramref name="Rate"/>).</param>
/// <param name="Redis">Redis HOST:PORT; null = PETERREC_TEST_REDIS, else a private redis-server.</param>
/// <param name="Backbone">serve, freshness: backbone directory; null = the one `peterrec run` pretrained.</param>
/// <param name="StreamUsers">freshness: the stream's users; null = the run default.</param>
public sealed record PipelineBenchSettings(string Stage, int Events, int Users, int Runs, int Partitions, int Window, string? Redis,
    double Rate, string? Backbone, int Threads, int? StreamUsers);

/// <summary>
/// `peterrec bench-pipeline`: one streaming stage end to end, <c>Runs</c> times; the result is one JSON object with
/// the median and whether every run's output was verified. Ingest: <see cref="IngestStage"/>; serve:
/// <see cref="ServeStage"/>; freshness: <see cref="FreshnessStage"/>.
/// </summary>
public static class PipelineBench
{
    /// <returns>The result and whether it verified (freshness: drained).</returns>
    /// <exception cref="ArgumentException">A setting is out of range or a needed input is missing.</exception>
    public static async Task<(Dictionary<string, object?> Result, bool Ok)> RunAsync(PipelineBenchSettings s, Action<string> log, CancellationToken ct)
    {
        if (s.Stage is not ("ingest" or "serve" or "freshness")) throw new ArgumentException($"--stage '{s.Stage}': expected ingest, serve or freshness");
        if (new[] { s.Events, s.Users, s.Runs, s.Partitions, s.Window }.Any(v => v < 1))
            throw new ArgumentException("--events, --users, --runs, --partitions and --window-size must be >= 1");
        if (s.Stage == "freshness")
        {
            var fresh = await FreshnessStage.RunAsync(s.Rate, s.Backbone, s.Redis, s.StreamUsers ?? new RunSettings().StreamUsers, ct);
            return (fresh, fresh["drained"] is true);
        }
        var redisConfig = s.Redis ?? Environment.GetEnvironmentVariable("PETERREC_TEST_REDIS");
        using var ownRedis = string.IsNullOrWhiteSpace(redisConfig) ? LocalRedisServer.Start() : null;
        redisConfig = ownRedis?.Configuration ?? redisConfig!;
        var serve = s.Stage == "serve";
        var backbone = s.Backbone ?? ".peterrec/run/backbone";
        if (serve && !File.Exists(Path.Combine(backbone, "config.json")))
            throw new ArgumentException($"no backbone at {backbone}; run `peterrec run` once or pass --backbone DIR");
        var results = new List<double>();
        var verified = true;
        for (var run = 0; run < s.Runs && !ct.IsCancellationRequested; run++)
        {
            var (perSecond, ok) = serve
                ? await ServeStage.RunOnceAsync(backbone, s.Users, s.Window, s.Partitions, s.Threads, redisConfig, run, ct)
                : await IngestStage.RunOnceAsync(s.Events, s.Users, s.Window, s.Partitions, redisConfig, run, ct);
            results.Add(perSecond);
            verified &= ok;
            log($"run {run + 1}: {perSecond:F0} {(serve ? "users" : "events")}/s, verified: {ok}");
        }
        var sorted = results.Order().ToList();
        var median = Math.Round(sorted[sorted.Count / 2]);
        var result = serve
            ? new Dictionary<string, object?>
            {
                ["stage"] = "serve", ["users"] = s.Users, ["window"] = s.Window, ["threads"] = s.Threads,
                ["runs_users_per_s"] = results.Select(r => Math.Round(r)).ToArray(), ["users_per_s"] = median,
                ["recs_verified"] = verified, ["processors"] = Environment.ProcessorCount,
            }
            : new Dictionary<string, object?>
            {
                ["stage"] = "ingest", ["events"] = s.Events, ["users"] = s.Users, ["partitions"] = s.Partitions, ["window"] = s.Window,
                ["runs_events_per_s"] = results.Select(r => Math.Round(r)).ToArray(),
                ["events_per_s"] = median, ["windows_verified"] = verified,
                ["processors"] = Environment.ProcessorCount,
            };
        return (result, verified);
    }
}
