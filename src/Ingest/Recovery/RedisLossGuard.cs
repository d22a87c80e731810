using System.Collections.Concurrent;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Ingest.Recovery;

/// <summary>
/// Notices a Redis that lost its data (a restart without persistence, a failover to an empty replica) and rebuilds the
/// windows. Per clicks partition, the hash <c>&lt;prefix&gt;:ingest:generation</c> holds a marker written once that
/// partition's windows are complete. A missing marker means Redis forgot them: readiness goes false and the partition is
/// rebuilt from the clicks topic (<see cref="WindowRebuilder"/>) before any new click of it is applied; then the marker
/// is written and readiness comes back. A partition the consumer group never committed, and this process never
/// applied, had no windows: its marker is written without a rebuild (a first start).
/// </summary>
/// <remarks>
/// Checked before every batch (inside the Redis retry, so also after a reconnect) and every
/// <see cref="IngestOptions.RedisCheckSeconds"/> for every assigned partition, so an idle partition is rebuilt too.
/// Batches and rebuilds take one lock: a partition's clicks are applied in offset order, which the window script's
/// idempotency needs. Upgrading a deployment that has windows but no markers rebuilds the horizon once, which finds
/// the clicks already applied and changes nothing.
/// </remarks>
public sealed class RedisLossGuard(
    IConnectionMultiplexer redis,
    RedisKeys keys,
    IOptions<TopicOptions> topics,
    WindowRebuilder rebuilder,
    ILogger<RedisLossGuard> logger) : IHealthCheck
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ConcurrentDictionary<int, byte> _lost = new();
    private readonly ConcurrentDictionary<int, byte> _applied = new();
    private volatile bool _rebuilding;

    public long Rebuilds { get; private set; }

    private string Field(int partition) => $"{topics.Value.Clicks}:{partition}";

    /// <summary>Runs <paramref name="apply"/> (a batch's Redis writes) once the batch's partitions are known complete.</summary>
    /// <param name="users">The batch's users: forgotten again if the batch turns out to have gone to an emptied Redis.</param>
    public async Task<T> ApplyAsync<T>(IReadOnlyCollection<int> partitions, IEnumerable<string> users, Func<Task<T>> apply, CancellationToken ct)
    {
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureLockedAsync(partitions, ct).ConfigureAwait(false);
            foreach (var p in partitions) _applied.TryAdd(p, 0);
            var result = await apply().ConfigureAwait(false);
            // Lost between the check and the write (a restart within one round trip): the batch may have gone to an
            // empty Redis. Fail it: the consume loop redelivers it, and the next attempt rebuilds the partition first.
            if (await MissingAsync(partitions).ConfigureAwait(false) is { Count: > 0 } missing)
            {
                foreach (var p in missing) _lost.TryAdd(p, 0);
                // Their state now holds only this batch, and its applied offsets would make the rebuild skip their
                // older clicks: drop it, the rebuild and the retried batch write it whole.
                var db = redis.GetDatabase();
                await Task.WhenAll(users.Select(u => db.KeyDeleteAsync([keys.Window(u), keys.AppliedOffsets(u)]))).ConfigureAwait(false);
                throw new RedisException($"Redis lost its data during a batch (clicks partitions {string.Join(",", missing)}); the batch is retried after a rebuild");
            }
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The periodic check: rebuilds any assigned partition whose marker is gone.</summary>
    public async Task CheckAsync(IReadOnlyCollection<int> assigned, CancellationToken ct)
    {
        if (assigned.Count == 0) return;
        // Readiness goes false at once, even while a batch holds the lock.
        foreach (var p in await MissingAsync(assigned).ConfigureAwait(false)) _lost.TryAdd(p, 0);
        if (_lost.IsEmpty) return;
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await EnsureLockedAsync(assigned, ct).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<List<int>> MissingAsync(IReadOnlyCollection<int> partitions)
    {
        var ordered = partitions.Distinct().Order().ToList();
        var values = await redis.GetDatabase().HashGetAsync(keys.IngestGeneration(), [.. ordered.Select(p => (RedisValue)Field(p))]).ConfigureAwait(false);
        return [.. ordered.Where((_, i) => values[i].IsNull)];
    }

    private async Task EnsureLockedAsync(IReadOnlyCollection<int> partitions, CancellationToken ct)
    {
        var missing = await MissingAsync(partitions).ConfigureAwait(false);
        foreach (var p in partitions.Except(missing)) _lost.TryRemove(p, out _);
        if (missing.Count == 0) return;
        _rebuilding = true;
        try
        {
            foreach (var p in missing)
            {
                _lost.TryAdd(p, 0);
                logger.LogWarning("Redis has no window marker for clicks partition {Partition} (lost its data, or first start): rebuilding its windows from the clicks topic", p);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var applied = await rebuilder.RebuildAsync(p, _applied.ContainsKey(p), ct).ConfigureAwait(false);
                await redis.GetDatabase().HashSetAsync(keys.IngestGeneration(), Field(p), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ConfigureAwait(false);
                _lost.TryRemove(p, out _);
                Rebuilds++;
                logger.LogWarning("Clicks partition {Partition}: windows rebuilt ({Applied} clicks re-applied) in {Seconds:F1} s", p, applied, clock.Elapsed.TotalSeconds);
            }
        }
        finally
        {
            _rebuilding = false;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_lost.IsEmpty && !_rebuilding
            ? HealthCheckResult.Healthy("windows complete")
            : HealthCheckResult.Unhealthy($"Redis lost the windows of clicks partitions {string.Join(",", _lost.Keys.Order())}; rebuilding"));
}
