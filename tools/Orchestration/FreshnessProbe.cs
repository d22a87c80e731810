using System.Collections.Concurrent;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Orchestration;

/// <summary>
/// Exact freshness of every observed recommendation write: Redis keyspace notifications announce each SET of a
/// <c>recs:&lt;task&gt;</c> key, the value is read back, and freshness = its <c>ts</c> (when Serving wrote it) minus its
/// <c>click_ts</c> (the newest click it covers). A value overwritten before it is read is counted once, as its successor.
/// Only writes that answer a click count (<c>cause</c> "click"): Serving's background writes (users scored when a
/// task's first version arrives, users re-scored for a new version) cover old clicks by design and would measure the
/// wait for a version, not the pipeline.
/// A click write's <c>trace</c> (<see cref="RecsTrace"/>) splits its freshness into <see cref="Stages"/>; the last one
/// ends when the notification arrives here.
/// Needs <c>notify-keyspace-events</c> with K and $ (set on the run's own Redis; tried with CONFIG SET elsewhere).
/// </summary>
public sealed class FreshnessProbe : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly RedisChannel _channel;
    private readonly ConcurrentDictionary<string, long> _lastSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(long WrittenMs, double FreshMs)> _samples = new();
    private readonly HashSet<string> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Stage, double Ms)> _stages = new();

    /// <summary>The freshness stages in pipeline order (each from the previous stamp of the trace to its own).</summary>
    public static readonly string[] Stages = ["click_to_window", "window_to_announce", "announce_to_batch", "window_read", "forward", "recs_write"];

    private FreshnessProbe(IConnectionMultiplexer redis, RedisChannel channel)
    {
        _redis = redis;
        _channel = channel;
    }

    /// <summary>Returns null (with the reason) when the server does not send keyspace notifications and refuses to start.</summary>
    public static async Task<(FreshnessProbe? Probe, string? Problem)> StartAsync(IConnectionMultiplexer redis, RedisKeys keys, string task)
    {
        var problem = await EnableNotificationsAsync(redis);
        if (problem is not null) return (null, problem);
        var channel = RedisChannel.Pattern($"__keyspace@*__:{keys.Prefix}:*:recs:{RedisKeys.Escape("task", task)}");
        var probe = new FreshnessProbe(redis, channel);
        await redis.GetSubscriber().SubscribeAsync(channel, (ch, message) => probe.OnNotification(ch, message));
        return (probe, null);
    }

    /// <summary>Writes observed so far.</summary>
    public int Count => _samples.Count;

    public int DistinctUsers
    {
        get { lock (_users) return _users.Count; }
    }

    /// <summary>Freshness in ms of every observed write, in no particular order.</summary>
    public double[] Snapshot() => [.. _samples.Select(s => s.FreshMs)];

    /// <summary>Freshness of writes made after <paramref name="sinceMs"/> (unix ms), for a live view.</summary>
    public double[] Since(long sinceMs) => [.. _samples.Where(s => s.WrittenMs >= sinceMs).Select(s => s.FreshMs)];

    /// <summary>Per stage (<see cref="Stages"/> order), the ms of every traced click write observed so far.</summary>
    public double[][] StageSnapshot()
    {
        var all = _stages.ToArray();
        return [.. Stages.Select((_, i) => all.Where(s => s.Stage == i).Select(s => s.Ms).ToArray())];
    }

    private void OnNotification(RedisChannel channel, RedisValue message)
    {
        if (message != "set") return;
        var observed = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var name = channel.ToString();
        var key = name[(name.IndexOf(':', StringComparison.Ordinal) + 1)..];
        _ = ReadAsync(key, observed);
    }

    private void AddStages(RecsTrace t, long scoredMs, long observedMs)
    {
        if (t.Produced is { } produced && t.Durable is { } durable)
        {
            _stages.Enqueue((0, Math.Max(0, durable - produced)));
            _stages.Enqueue((1, Math.Max(0, t.Announced - durable)));
        }
        _stages.Enqueue((2, Math.Max(0, t.Batch - t.Announced)));
        _stages.Enqueue((3, Math.Max(0, t.Read - t.Batch)));
        _stages.Enqueue((4, Math.Max(0, scoredMs - t.Read)));
        _stages.Enqueue((5, Math.Max(0, observedMs - scoredMs)));
    }

    private async Task ReadAsync(string key, long observedMs)
    {
        try
        {
            var value = await _redis.GetDatabase().StringGetAsync(key);
            if (value.IsNull) return;
            var recs = RecsValue.Parse((byte[])value!);
            // Several notifications can read the same value; count each write (identified by its ts) once.
            while (true)
            {
                var previous = _lastSeen.GetOrAdd(key, long.MinValue);
                if (recs.Ts <= previous) return;
                if (_lastSeen.TryUpdate(key, recs.Ts, previous)) break;
            }
            if (recs.Cause == RecsValue.Causes.Click)
            {
                _samples.Enqueue((recs.Ts, Math.Max(0, recs.Ts - recs.ClickTs)));
                if (recs.Trace is { } trace) AddStages(trace, recs.Ts, observedMs);
            }
            lock (_users) _users.Add(recs.User);
        }
        catch (Exception e) when (e is RedisException or System.Text.Json.JsonException or InvalidDataException)
        {
            // A value we cannot read is not a freshness sample; the run's counts come from the roles' metrics.
        }
    }

    private static async Task<string?> EnableNotificationsAsync(IConnectionMultiplexer redis)
    {
        try
        {
            foreach (var endpoint in redis.GetEndPoints())
            {
                var server = redis.GetServer(endpoint);
                var pairs = await server.ConfigGetAsync("notify-keyspace-events");
                var current = pairs.Length > 0 ? pairs[0].Value : "";
                if (current.Contains('K') && (current.Contains('$') || current.Contains('A'))) continue;
                await server.ConfigSetAsync("notify-keyspace-events", current + "K$");
            }
            return null;
        }
        catch (Exception e) when (e is RedisException or RedisCommandException)
        {
            return $"keyspace notifications are off and could not be enabled ({e.Message})";
        }
    }

    public async ValueTask DisposeAsync() => await _redis.GetSubscriber().UnsubscribeAsync(_channel);
}
