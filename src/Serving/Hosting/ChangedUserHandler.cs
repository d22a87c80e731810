using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Serving.Scoring;
using StackExchange.Redis;

namespace PeterRec.Serving.Hosting;

/// <summary>
/// One batch of changed users: read their current windows, score every task with its current version (one batched
/// forward per task), write representation and top-N to Redis, then record freshness.
/// </summary>
/// <remarks>
/// Idempotent: values are recomputed from the window as it is now and overwritten whole (SET with TTL), so a
/// redelivered batch writes the same recommendations again. Returns only after every write is acknowledged; a failed
/// write fails the batch, which the consume loop rewinds and retries. For a task without a published version the users
/// are put in its pending set (<see cref="UserBacklog"/>, counted as no_patch) before the batch returns; the
/// <see cref="BackgroundScorer"/> scores them once the first version is in service.
/// </remarks>
public sealed class ChangedUserHandler(
    IOptions<ServingOptions> options,
    ServingBackbone backbone,
    VersionRegistry versions,
    WindowStore windows,
    RecsWriter recs,
    UserBacklog backlog,
    ServingMetrics metrics,
    DeadLetterSink deadLetters,
    ILogger<ChangedUserHandler> logger)
{
    private readonly ServingOptions _o = options.Value;
    private int _busy;

    /// <summary>True while a live batch is being handled; the background scorer waits for it.</summary>
    public bool IsBusy => Volatile.Read(ref _busy) > 0;

    public async Task HandleAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        Interlocked.Increment(ref _busy);
        try
        {
            await HandleBatchAsync(batch, ct).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _busy);
        }
    }

    private async Task HandleBatchAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        var batchStart = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var clock = Stopwatch.StartNew();
        // Per user, the announcement with the newest click ts and its record's Kafka timestamp (or the batch start).
        var newest = new Dictionary<string, (ChangedUser User, long AnnouncedMs)>(StringComparer.Ordinal);
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
            var announcedMs = r.Message.Timestamp.Type == TimestampType.NotAvailable ? batchStart : r.Message.Timestamp.UnixTimestampMs;
            metrics.Queued((batchStart - announcedMs) / 1000.0);
            if (!newest.TryGetValue(u.User, out var seen) || u.Ts > seen.User.Ts) newest[u.User] = (u, announcedMs);
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
        metrics.WindowsRead(clock.Elapsed);
        var readMs = batchStart + (long)clock.Elapsed.TotalMilliseconds;
        RecsTrace Trace(int i)
        {
            var (u, announcedMs) = newest[users[i]];
            return new RecsTrace(u.Produced, u.Durable, announcedMs, batchStart, readMs);
        }

        var writes = new List<(RedisKey Key, byte[] Value)>(users.Count * _o.Tasks.Count * 2);
        var scoredByTask = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var pending = new List<Task>();
        foreach (var task in _o.Tasks)
        {
            // One read of the reference: the whole batch is scored with one version even if a swap happens meanwhile.
            var version = versions.Current(task);
            if (version is null)
            {
                pending.Add(backlog.AddPendingAsync(task, users.ToDictionary(u => u, u => newest[u].User.Ts, StringComparer.Ordinal)));
                metrics.Users(task, "no_patch", users.Count);
                continue;
            }
            recs.Score(task, version, users, sources, i => newest[users[i]].User.Ts, writes, trace: Trace);
            scoredByTask[task] = users;
            metrics.Users(task, "written", users.Count);
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        if (writes.Count == 0) return;
        await recs.WriteAsync(writes, scoredByTask, ct).ConfigureAwait(false);
        var written = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var (u, _) in newest.Values) metrics.Fresh(Math.Max(0, written - u.Ts) / 1000.0);
    }
}
