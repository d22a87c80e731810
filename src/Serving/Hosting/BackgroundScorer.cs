using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Serving.Scoring;
using StackExchange.Redis;

namespace PeterRec.Serving.Hosting;

/// <summary>
/// Scores users nobody announced just now: those waiting for their task's first version (the pending set, drained as
/// soon as a version is in service, also after a restart), and, when a new version comes into service, the users scored
/// within <see cref="ServingOptions.RescoreHorizonSeconds"/> (claimed by one server per version), so idle users do not
/// keep an old version's recommendations.
/// </summary>
/// <remarks>
/// Live traffic keeps priority: chunks of at most 64 users, at most <see cref="ServingOptions.BackgroundUsersPerSecond"/>
/// users a second, and a chunk waits (up to a second) while a live batch is being handled. Everything is idempotent:
/// a user scored twice gets the same value written twice.
/// </remarks>
public sealed class BackgroundScorer
{
    private const int ChunkMax = 64;
    private static readonly TimeSpan LiveWaitMax = TimeSpan.FromSeconds(1);

    private readonly ServingOptions _o;
    private readonly VersionRegistry _versions;
    private readonly WindowStore _windows;
    private readonly ServingBackbone _backbone;
    private readonly RecsWriter _recs;
    private readonly UserBacklog _backlog;
    private readonly ChangedUserHandler _live;
    private readonly ServingMetrics _metrics;
    private readonly ILogger<BackgroundScorer> _logger;
    private readonly ConcurrentQueue<(string Task, long Version)> _installed = new();
    private readonly Dictionary<string, Queue<string>> _rescores = new(StringComparer.Ordinal);

    public BackgroundScorer(IOptions<ServingOptions> options, VersionRegistry versions, WindowStore windows, ServingBackbone backbone,
        RecsWriter recs, UserBacklog backlog, ChangedUserHandler live, ServingMetrics metrics, ILogger<BackgroundScorer> logger)
    {
        (_o, _versions, _windows, _backbone, _recs, _backlog, _live, _metrics, _logger) =
            (options.Value, versions, windows, backbone, recs, backlog, live, metrics, logger);
        versions.Installed += (task, version) => _installed.Enqueue((task, version));
    }

    private int Chunk => Math.Min(ChunkMax, _o.BackgroundUsersPerSecond);

    public async Task RunAsync(CancellationToken ct)
    {
        var idle = TimeSpan.FromMilliseconds(Math.Min(_o.PatchPollMs, 1000));
        while (!ct.IsCancellationRequested)
        {
            try
            {
                while (_installed.TryDequeue(out var job)) await ClaimAsync(job.Task, job.Version).ConfigureAwait(false);
                var worked = false;
                foreach (var task in _o.Tasks)
                {
                    if (_versions.Current(task) is null) continue;
                    worked |= await DrainPendingAsync(task, ct).ConfigureAwait(false);
                    worked |= await RescoreChunkAsync(task, ct).ConfigureAwait(false);
                }
                if (!worked) await Task.Delay(idle, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException or Polly.ExecutionRejectedException)
            {
                // The work stays where it was (pending set, re-score queue) and is taken up again.
                _metrics.Shared.RecordError("serving", "background");
                _logger.LogWarning("Serving: background scoring paused: {Reason}", e.Message);
                try { await Task.Delay(idle, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task ClaimAsync(string task, long version)
    {
        if (_o.RescoreHorizonSeconds == 0) return;
        var users = await _backlog.ClaimRescoreAsync(task, version, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ConfigureAwait(false);
        if (users is null) return;
        // A newer version replaces an unfinished re-score: its users are scored with the newest version anyway.
        _rescores[task] = new Queue<string>(users);
        _logger.LogInformation("Task {Task}: re-scoring {Count} users active in the last {Horizon} s with version {Version}",
            task, users.Count, _o.RescoreHorizonSeconds, version);
    }

    private async Task<bool> DrainPendingAsync(string task, CancellationToken ct)
    {
        var pending = await _backlog.PendingAsync(task, Chunk).ConfigureAwait(false);
        if (pending.Count == 0) return false;
        var scored = await ScoreAsync(task, [.. pending.Select(p => p.User)], RecsValue.Causes.FirstVersion, ct).ConfigureAwait(false);
        await _backlog.RemovePendingAsync(task, pending).ConfigureAwait(false);
        _metrics.Users(task, "pending_written", scored);
        return true;
    }

    private async Task<bool> RescoreChunkAsync(string task, CancellationToken ct)
    {
        if (!_rescores.TryGetValue(task, out var queue)) return false;
        var users = queue.Take(Chunk).ToList();
        var scored = await ScoreAsync(task, users, RecsValue.Causes.Rescore, ct).ConfigureAwait(false);
        for (var i = 0; i < users.Count; i++) queue.Dequeue();
        if (queue.Count == 0) _rescores.Remove(task);
        _metrics.Users(task, "rescored", scored);
        return true;
    }

    /// <summary>Scores the users with non-empty windows under the task's current version, paced; returns how many.</summary>
    private async Task<int> ScoreAsync(string task, IReadOnlyList<string> candidates, string cause, CancellationToken ct)
    {
        var started = Stopwatch.StartNew();
        for (var waited = Stopwatch.StartNew(); _live.IsBusy && waited.Elapsed < LiveWaitMax;)
            await Task.Delay(5, ct).ConfigureAwait(false);
        var version = _versions.Current(task)!;
        var all = await _windows.ReadManyAsync(candidates).ConfigureAwait(false);
        var users = new List<string>(candidates.Count);
        var clickTs = new List<long>(candidates.Count);
        var sources = new List<int[]>(candidates.Count);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (all[i].Count == 0) continue;
            users.Add(candidates[i]);
            clickTs.Add(all[i][^1].Ts);
            sources.Add(_backbone.EncodeSource(all[i].Select(e => e.Item)));
        }
        if (users.Count > 0)
        {
            var writes = new List<(RedisKey Key, byte[] Value)>(users.Count * 2);
            _recs.Score(task, version, users, sources, i => clickTs[i], writes, cause);
            await _recs.WriteAsync(writes, new Dictionary<string, IReadOnlyList<string>> { [task] = users }, ct).ConfigureAwait(false);
        }
        // Pace by users looked at, so a burst of empty windows cannot turn into a burst of Redis reads either.
        var due = TimeSpan.FromSeconds((double)candidates.Count / _o.BackgroundUsersPerSecond) - started.Elapsed;
        if (due > TimeSpan.Zero) await Task.Delay(due, ct).ConfigureAwait(false);
        return users.Count;
    }
}
