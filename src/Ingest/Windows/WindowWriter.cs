using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Ingest.Windows;

/// <summary>One click to apply, with its source position for idempotency.</summary>
public readonly record struct PositionedClick(string Item, long Ts, int Partition, long Offset);

/// <summary>What a batch write did, summed over users; <paramref name="Announce"/>: the users to announce, each with its
/// window's newest click ts (users whose every click of the batch was dropped as late are left out).</summary>
public readonly record struct WindowWriteResult(int Users, long Applied, long Redelivered, long LateDropped, int WindowsUpdated,
    IReadOnlyDictionary<string, long> Announce);

/// <summary>
/// Applies a batch's clicks to the user windows with <see cref="WindowScript"/>: users are packed into calls of up
/// to <see cref="UsersPerCall"/> users (in Redis Cluster only users of the same hash slot share a call), all calls
/// pipelined on the shared connection and awaited together. Each user's update is atomic; repeating a batch is
/// harmless (see <see cref="WindowScript"/>).
/// </summary>
public sealed class WindowWriter(IConnectionMultiplexer redis, RedisKeys keys)
{
    /// <summary>Bounds one script call, so no call blocks Redis for long.</summary>
    public const int UsersPerCall = 64;

    public const int EventsPerCall = 1024;

    private static readonly IComparer<PositionedClick> EventOrder = Comparer<PositionedClick>.Create((a, b) =>
    {
        var c = a.Ts.CompareTo(b.Ts);
        if (c != 0) return c;
        c = a.Partition.CompareTo(b.Partition);
        return c != 0 ? c : a.Offset.CompareTo(b.Offset);
    });

    private readonly Lazy<bool> _cluster = new(() => redis.GetServers().Any(s => s.ServerType == ServerType.Cluster));

    /// <summary>A record consumed twice in one batch (possible after a rewind) must count once; clicks are sorted.</summary>
    private static void RemoveDuplicatePositions(List<PositionedClick> clicks)
    {
        if (clicks.Count < 2) return;
        HashSet<(int, long)>? seen = null;
        for (var i = 1; i < clicks.Count; i++)
        {
            seen ??= [(clicks[0].Partition, clicks[0].Offset)];
            if (!seen.Add((clicks[i].Partition, clicks[i].Offset))) clicks.RemoveAt(i--);
        }
    }

    /// <param name="clicksByUser">Each user's clicks, in any order (they are sorted here).</param>
    public async Task<WindowWriteResult> ApplyAsync(IReadOnlyDictionary<string, List<PositionedClick>> clicksByUser, int windowSize, int ttlSeconds)
    {
        var db = redis.GetDatabase();
        var calls = new List<Task<RedisResult>>();
        var total = 0L;
        IEnumerable<IEnumerable<KeyValuePair<string, List<PositionedClick>>>> groups = _cluster.Value
            ? clicksByUser.GroupBy(kv => redis.HashSlot(keys.Window(kv.Key)))
            : [clicksByUser];
        var chunkKeys = new List<RedisKey>();
        var callUsers = new List<List<string>>();
        var chunkUsers = new List<string>();
        var chunkArgs = new List<RedisValue>();
        void Flush()
        {
            if (chunkKeys.Count == 0) return;
            calls.Add(db.ScriptEvaluateAsync(WindowScript.Source, [.. chunkKeys], [windowSize, ttlSeconds, .. chunkArgs]));
            callUsers.Add([.. chunkUsers]);
            chunkUsers.Clear();
            chunkKeys.Clear();
            chunkArgs.Clear();
        }
        foreach (var group in groups)
        {
            foreach (var (user, clicks) in group)
            {
                clicks.Sort(EventOrder);
                RemoveDuplicatePositions(clicks);
                total += clicks.Count;
                chunkUsers.Add(user);
                chunkKeys.Add(keys.Window(user));
                chunkKeys.Add(keys.AppliedOffsets(user));
                chunkArgs.Add(clicks.Count);
                foreach (var click in clicks)
                {
                    chunkArgs.Add(click.Partition);
                    chunkArgs.Add(click.Offset);
                    chunkArgs.Add(click.Ts);
                    chunkArgs.Add(new WindowEntry(click.Item, click.Ts).Encode());
                }
                if (chunkKeys.Count / 2 >= UsersPerCall || chunkArgs.Count >= 4 * EventsPerCall) Flush();
            }
            Flush();
        }
        var results = await Task.WhenAll(calls).ConfigureAwait(false);
        long applied = 0, late = 0;
        var updated = 0;
        var announce = new Dictionary<string, long>(clicksByUser.Count, StringComparer.Ordinal);
        for (var c = 0; c < results.Length; c++)
        {
            var perUser = (RedisResult[])results[c]!;
            for (var i = 0; i < perUser.Length; i += 3)
            {
                long n = (long)perUser[i], dropped = (long)perUser[i + 1], newest = (long)perUser[i + 2];
                applied += n;
                late += dropped;
                if (n > 0) updated++;
                // A redelivery (nothing new, nothing dropped) is announced again: the first attempt may have crashed
                // before its announcement. A batch that was only late clicks changed nothing to announce.
                if (newest >= 0 && (n > 0 || dropped == 0)) announce[callUsers[c][i / 3]] = newest;
            }
        }
        return new WindowWriteResult(clicksByUser.Count, applied, total - applied - late, late, updated, announce);
    }
}
