using PeterRec.Common.Redis;
using StackExchange.Redis;

namespace PeterRec.Ingest.Windows;

/// <summary>One click to apply, with its source position for idempotency.</summary>
public readonly record struct PositionedClick(string Item, long Ts, int Partition, long Offset);

/// <summary>What a batch write did, summed over users.</summary>
public readonly record struct WindowWriteResult(int Users, long Applied, long Redelivered, long LateDropped, int WindowsUpdated);

/// <summary>
/// Applies a batch's clicks to the user windows: one <see cref="WindowScript"/> call per user, all pipelined on the
/// shared connection and awaited together. Safe to repeat for the same clicks (see <see cref="WindowScript"/>).
/// </summary>
public sealed class WindowWriter(IConnectionMultiplexer redis, RedisKeys keys)
{
    private static readonly IComparer<PositionedClick> EventOrder = Comparer<PositionedClick>.Create((a, b) =>
    {
        var c = a.Ts.CompareTo(b.Ts);
        if (c != 0) return c;
        c = a.Partition.CompareTo(b.Partition);
        return c != 0 ? c : a.Offset.CompareTo(b.Offset);
    });

    /// <param name="clicksByUser">Each user's clicks, in any order (they are sorted here).</param>
    public async Task<WindowWriteResult> ApplyAsync(IReadOnlyDictionary<string, List<PositionedClick>> clicksByUser, int windowSize, int ttlSeconds)
    {
        var db = redis.GetDatabase();
        var calls = new Task<RedisResult>[clicksByUser.Count];
        var total = 0L;
        var i = 0;
        foreach (var (user, clicks) in clicksByUser)
        {
            clicks.Sort(EventOrder);
            total += clicks.Count;
            var args = new RedisValue[2 + 4 * clicks.Count];
            args[0] = windowSize;
            args[1] = ttlSeconds;
            var a = 2;
            foreach (var click in clicks)
            {
                args[a++] = click.Partition;
                args[a++] = click.Offset;
                args[a++] = click.Ts;
                args[a++] = new WindowEntry(click.Item, click.Ts).Encode();
            }
            calls[i++] = db.ScriptEvaluateAsync(WindowScript.Source, [keys.Window(user), keys.AppliedOffsets(user)], args);
        }
        var results = await Task.WhenAll(calls).ConfigureAwait(false);
        long applied = 0, late = 0;
        var updated = 0;
        foreach (var r in results)
        {
            var pair = (RedisResult[])r!;
            var n = (long)pair[0];
            applied += n;
            late += (long)pair[1];
            if (n > 0) updated++;
        }
        return new WindowWriteResult(clicksByUser.Count, applied, total - applied, late, updated);
    }
}
