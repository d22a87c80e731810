using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// Reads per-user click windows (written by Ingest). Windows hold the last N clicks in event-time order, oldest
/// first; equal timestamps keep arrival (offset) order. A user without clicks has an empty window.
/// </summary>
public sealed class WindowStore(IConnectionMultiplexer redis, RedisKeys keys)
{
    public RedisKeys Keys => keys;

    public async Task<IReadOnlyList<WindowEntry>> ReadAsync(string user)
    {
        var values = await redis.GetDatabase().ListRangeAsync(keys.Window(user)).ConfigureAwait(false);
        return Decode(values);
    }

    /// <summary>Reads many windows in one pipelined round trip; the result is in the order of <paramref name="users"/>.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<WindowEntry>>> ReadManyAsync(IReadOnlyList<string> users)
    {
        var db = redis.GetDatabase();
        var reads = new Task<RedisValue[]>[users.Count];
        for (var i = 0; i < users.Count; i++) reads[i] = db.ListRangeAsync(keys.Window(users[i]));
        var results = await Task.WhenAll(reads).ConfigureAwait(false);
        return [.. results.Select(Decode)];
    }

    private static IReadOnlyList<WindowEntry> Decode(RedisValue[] values)
    {
        var entries = new WindowEntry[values.Length];
        for (var i = 0; i < values.Length; i++) entries[i] = WindowEntry.Decode(values[i]!);
        return entries;
    }
}
