using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Serving.Hosting;

/// <summary>
/// The users Serving still owes recommendations, per task, in Redis sorted sets (so they survive a Serving restart and
/// are shared by every server): <c>pending</c> (announced while the task had no version; score = newest click ts) and
/// <c>active</c> (scored recently; score = when, unix ms), both capped at <see cref="ServingOptions.BacklogCap"/>.
/// </summary>
/// <remarks>
/// Redis rather than memory: a changed-user offset is committed once its user is in <c>pending</c>, so the set is what
/// carries at-least-once across a restart, and a memory set would be lost with the process. The cap bounds Redis memory
/// against a flood of users before a task's first version (the oldest clicks are forgotten first; they get scored on
/// their next click).
/// </remarks>
public sealed class UserBacklog(IConnectionMultiplexer redis, RedisKeys keys, IOptions<ServingOptions> options)
{
    private readonly ServingOptions _o = options.Value;

    /// <summary>Returns when the users are durably pending for <paramref name="task"/>.</summary>
    public Task AddPendingAsync(string task, IReadOnlyDictionary<string, long> newestClickTs)
    {
        var db = redis.GetDatabase();
        var key = keys.PendingUsers(task);
        // GT: a redelivered older announcement never lowers a user's click ts.
        var add = db.SortedSetAddAsync(key, [.. newestClickTs.Select(kv => new SortedSetEntry(kv.Key, kv.Value))], SortedSetWhen.GreaterThan);
        var trim = db.SortedSetRemoveRangeByRankAsync(key, 0, -(_o.BacklogCap + 1));
        return Task.WhenAll(add, trim);
    }

    /// <summary>Up to <paramref name="count"/> pending users of the task with their click ts, newest clicks first.</summary>
    public async Task<IReadOnlyList<(string User, long ClickTs)>> PendingAsync(string task, int count)
    {
        var entries = await redis.GetDatabase().SortedSetRangeByRankWithScoresAsync(keys.PendingUsers(task), 0, count - 1, Order.Descending).ConfigureAwait(false);
        return [.. entries.Select(e => ((string)e.Element!, (long)e.Score))];
    }

    /// <summary>Removes users once scored, unless a newer click was announced for them meanwhile.</summary>
    public Task RemovePendingAsync(string task, IReadOnlyList<(string User, long ClickTs)> scored)
    {
        var db = redis.GetDatabase();
        var key = keys.PendingUsers(task);
        return Task.WhenAll(scored.Select(s => db.ScriptEvaluateAsync(RemoveIfNotNewer, [key], [s.User, s.ClickTs])));
    }

    private const string RemoveIfNotNewer = """
        local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if s and tonumber(s) <= tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
        return 0
        """;

    /// <summary>Records that the users were scored now; pipelined with the recommendation writes by the caller.</summary>
    public IEnumerable<Task> TouchActive(IDatabaseAsync db, string task, IReadOnlyList<string> users, long nowMs)
    {
        if (_o.RescoreHorizonSeconds == 0 || users.Count == 0) return [];
        var key = keys.ActiveUsers(task);
        return
        [
            db.SortedSetAddAsync(key, [.. users.Select(u => new SortedSetEntry(u, nowMs))]),
            db.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, nowMs - _o.RescoreHorizonSeconds * 1000L, Exclude.Stop),
            db.SortedSetRemoveRangeByRankAsync(key, 0, -(_o.BacklogCap + 1)),
        ];
    }

    /// <summary>
    /// Claims the re-score of <paramref name="version"/>'s active users for this server (true once across servers) and
    /// returns the users scored within the horizon, most recent first.
    /// </summary>
    public async Task<IReadOnlyList<string>?> ClaimRescoreAsync(string task, long version, long nowMs)
    {
        var db = redis.GetDatabase();
        var horizon = TimeSpan.FromSeconds(_o.RescoreHorizonSeconds);
        if (!await db.StringSetAsync(keys.RescoreClaim(task, version), Environment.MachineName, horizon, When.NotExists).ConfigureAwait(false))
            return null;
        var users = await db.SortedSetRangeByScoreAsync(keys.ActiveUsers(task), nowMs - horizon.TotalMilliseconds, double.PositiveInfinity,
            order: Order.Descending).ConfigureAwait(false);
        return [.. users.Select(u => (string)u!)];
    }
}
