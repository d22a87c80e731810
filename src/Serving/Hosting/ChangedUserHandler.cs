using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Serving.Scoring;
using Polly;
using StackExchange.Redis;

namespace PeterRec.Serving.Hosting;

/// <summary>
/// One batch of changed users: read their current windows, score every task with its current version (one batched
/// forward per task), write representation and top-N to Redis, then record freshness.
/// </summary>
/// <remarks>
/// Idempotent: values are recomputed from the window as it is now and overwritten whole (SET with TTL), so a
/// redelivered batch writes the same recommendations again. Returns only after every write is acknowledged; a failed
/// write fails the batch, which the consume loop rewinds and retries. A task without a published version is skipped for
/// the batch (counted as no_patch); its users are scored on their next click.
/// </remarks>
public sealed class ChangedUserHandler(
    IOptions<ServingOptions> options,
    IOptions<RedisOptions> redisOptions,
    ServingBackbone backbone,
    VersionRegistry versions,
    WindowStore windows,
    IConnectionMultiplexer redis,
    RedisKeys keys,
    [FromKeyedServices(RedisServiceCollectionExtensions.RedisWritePipelineKey)] ResiliencePipeline writePipeline,
    ServingMetrics metrics,
    DeadLetterSink deadLetters,
    ILogger<ChangedUserHandler> logger)
{
    private readonly ServingOptions _o = options.Value;

    public async Task HandleAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        var newest = new Dictionary<string, long>(StringComparer.Ordinal);
        var deliveries = new List<Task>();
        foreach (var r in batch)
        {
            var parsed = ChangedUser.Parse(r.Message.Value);
            if (!parsed.IsValid)
            {
                metrics.Shared.RecordError("serving", "invalid_event");
                logger.LogWarning("Serving: invalid changed-user record at {Position} sent to the dead-letter topic ({Kind})", r.TopicPartitionOffset, parsed.Reason.ToKind());
                deliveries.Add(deadLetters.SendAsync("serving", r, parsed.Reason, parsed.Detail!, ct));
                continue;
            }
            var u = parsed.Value!;
            newest[u.User] = Math.Max(newest.GetValueOrDefault(u.User), u.Ts);
        }
        await Task.WhenAll(deliveries).ConfigureAwait(false);
        if (newest.Count == 0) return;
        var announced = newest.Keys.ToList();
        var all = await windows.ReadManyAsync(announced).ConfigureAwait(false);
        // Rule: a user whose window is empty (unknown user, or the window expired) gets no recommendations written;
        // whatever was written before expires with its own TTL. Counted as no_window.
        var users = new List<string>(announced.Count);
        var read = new List<IReadOnlyList<WindowEntry>>(announced.Count);
        for (int i = 0; i < announced.Count; i++)
            if (all[i].Count > 0) { users.Add(announced[i]); read.Add(all[i]); }
        foreach (var task in _o.Tasks) metrics.Users(task, "no_window", announced.Count - users.Count);
        if (users.Count == 0) return;
        var sources = read.Select(w => backbone.EncodeSource(w.Select(e => e.Item))).ToList();

        var db = redis.GetDatabase();
        var ttl = redisOptions.Value.RecsTtlSeconds > 0 ? new Expiration(TimeSpan.FromSeconds(redisOptions.Value.RecsTtlSeconds)) : Expiration.Default;
        var writes = new List<(RedisKey Key, byte[] Value)>(users.Count * _o.Tasks.Count * 2);
        foreach (var task in _o.Tasks)
        {
            // One read of the reference: the whole batch is scored with one version even if a swap happens meanwhile.
            var version = versions.Current(task);
            if (version is null)
            {
                metrics.Users(task, "no_patch", users.Count);
                continue;
            }
            var clock = Stopwatch.StartNew();
            var scored = backbone.Score(version, sources, _o.TopN);
            metrics.Scored(task, users.Count, clock.Elapsed);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < users.Count; i++)
            {
                var recs = new RecsValue(users[i], task, version.Version, version.Manifest.Step, newest[users[i]], now,
                    [.. scored[i].Top.Select(t => new RecItem(t.Label, t.Score))]);
                writes.Add((keys.Recs(users[i], task), recs.ToJson()));
                if (_o.WriteReps) writes.Add((keys.Rep(users[i], task), new RepValue(users[i], task, version.Version, now, scored[i].Rep).ToJson()));
            }
            metrics.Users(task, "written", users.Count);
        }
        if (writes.Count == 0) return;
        await writePipeline.ExecuteAsync(async _ =>
        {
            // Pipelined: all SETs go out before the first reply is awaited.
            await Task.WhenAll(writes.Select(w => db.StringSetAsync(w.Key, w.Value, ttl))).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        var written = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var ts in newest.Values) metrics.Fresh(Math.Max(0, written - ts) / 1000.0);
    }
}
