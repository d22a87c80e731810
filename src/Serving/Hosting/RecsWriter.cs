using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Serving.Scoring;
using Polly;
using StackExchange.Redis;

namespace PeterRec.Serving.Hosting;

/// <summary>
/// Scores users under one task's version and writes their representation and top-N to Redis (SET with TTL, whole
/// values, so a repeat writes the same thing again), recording them as active for re-scoring. Shared by the live
/// changed-user handler and the background scorer.
/// </summary>
public sealed class RecsWriter(
    IOptions<ServingOptions> options,
    IOptions<RedisOptions> redisOptions,
    ServingBackbone backbone,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    UserBacklog backlog,
    [FromKeyedServices(RedisServiceCollectionExtensions.RedisWritePipelineKey)] ResiliencePipeline writePipeline,
    ServingMetrics metrics)
{
    private readonly ServingOptions _o = options.Value;

    /// <summary>Scores <paramref name="users"/> (encoded <paramref name="sources"/>) and adds their writes to <paramref name="writes"/>.</summary>
    /// <param name="clickTs">Per user, the newest click the window covers (the value's <c>click_ts</c>).</param>
    /// <param name="trace">Per user, the stage stamps of a click write (null for background writes).</param>
    public void Score(string task, ServedVersion version, IReadOnlyList<string> users, IReadOnlyList<int[]> sources,
        Func<int, long> clickTs, List<(RedisKey Key, byte[] Value)> writes, string cause = RecsValue.Causes.Click,
        Func<int, RecsTrace>? trace = null)
    {
        var clock = Stopwatch.StartNew();
        var scored = backbone.Score(version, sources, _o.TopN);
        metrics.Scored(task, users.Count, clock.Elapsed);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < users.Count; i++)
        {
            var recs = new RecsValue(users[i], task, version.Version, version.Manifest.Step, clickTs(i), now,
                [.. scored[i].Top.Select(t => new RecItem(t.Label, t.Score))], cause, trace?.Invoke(i));
            writes.Add((keys.Recs(users[i], task), recs.ToJson()));
            if (_o.WriteReps) writes.Add((keys.Rep(users[i], task), new RepValue(users[i], task, version.Version, now, scored[i].Rep).ToJson()));
        }
    }

    /// <summary>Writes everything pipelined (with the active marks of <paramref name="scoredByTask"/>); returns when acknowledged.</summary>
    public async Task WriteAsync(List<(RedisKey Key, byte[] Value)> writes, IReadOnlyDictionary<string, IReadOnlyList<string>> scoredByTask, CancellationToken ct)
    {
        if (writes.Count == 0) return;
        var clock = Stopwatch.StartNew();
        var db = redis.GetDatabase();
        var ttl = redisOptions.Value.RecsTtlSeconds > 0 ? new Expiration(TimeSpan.FromSeconds(redisOptions.Value.RecsTtlSeconds)) : Expiration.Default;
        await writePipeline.ExecuteAsync(async _ =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // Pipelined: all SETs go out before the first reply is awaited.
            await Task.WhenAll(writes.Select(w => (Task)db.StringSetAsync(w.Key, w.Value, ttl))
                .Concat(scoredByTask.SelectMany(kv => backlog.TouchActive(db, kv.Key, kv.Value, now)))).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        metrics.RecsWritten(clock.Elapsed);
    }
}
