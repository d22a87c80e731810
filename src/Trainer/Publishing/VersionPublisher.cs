using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Kafka;
using StackExchange.Redis;

namespace PeterRec.Trainer.Publishing;

/// <summary>How published versions are kept in Redis.</summary>
/// <param name="KeepVersions">Versions kept; older ones are deleted when a new one is published.</param>
/// <param name="TtlSeconds">TTL of each version's value (a backstop for trimming); 0 = none. The latest pointer never expires.</param>
public sealed record VersionRetention(int KeepVersions, int TtlSeconds);

/// <summary>
/// Publishes versions of a task's weights. Redis: the value goes to <see cref="RedisKeys.Version"/> (with a TTL as a
/// backstop), then <see cref="RedisKeys.LatestVersion"/> is raised to the version by a script that never lowers it,
/// then the version <c>KeepVersions</c> back is deleted. So a reader that follows the pointer always finds a whole
/// value, and a replayed publish of an older version cannot move servers backwards. Kafka: a
/// <see cref="VersionAnnouncement"/> on the patches topic, keyed by task, tells servers to look now (they also poll the
/// pointer, so a lost announcement only delays a swap). Every step is idempotent: publishing the same version twice
/// writes the same bytes.
/// </summary>
public sealed class VersionPublisher : IDisposable
{
    private const string RaisePointer = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly VersionRetention _retention;
    private readonly string _topic;
    private readonly IProducer<string, byte[]> _producer;

    /// <param name="clientId">Kafka client id of the announcement producer.</param>
    public VersionPublisher(IConnectionMultiplexer redis, RedisKeys keys, VersionRetention retention, IOptions<TopicOptions> topics,
        KafkaClientConfigs configs, IKafkaClientFactory clients, string clientId, ILogger<VersionPublisher> logger)
    {
        _redis = redis;
        _keys = keys;
        _retention = retention;
        _topic = topics.Value.Patches;
        _producer = clients.CreateProducer(configs.CreateProducerConfig(clientId),
            e => logger.Log(e.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Announcement producer: {Code} {Reason}", e.Code, e.Reason),
            m => logger.LogDebug("librdkafka {Facility}: {Message}", m.Facility, m.Message));
    }

    /// <summary>The version the latest pointer names, or 0 when the task has none.</summary>
    public async Task<long> LatestAsync(string task)
    {
        var v = await _redis.GetDatabase().StringGetAsync(_keys.LatestVersion(task)).ConfigureAwait(false);
        return v.IsNull ? 0 : long.Parse((string)v!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The stored value of a version, or null when it is gone (trimmed or expired).</summary>
    public async Task<byte[]?> ReadAsync(string task, long version)
    {
        var v = await _redis.GetDatabase().StringGetAsync(_keys.Version(task, version)).ConfigureAwait(false);
        return v.IsNull ? null : (byte[])v!;
    }

    public async Task PublishAsync(string task, long version, byte[] value, CancellationToken ct)
    {
        var db = _redis.GetDatabase();
        var ttl = _retention.TtlSeconds > 0 ? new Expiration(TimeSpan.FromSeconds(_retention.TtlSeconds)) : Expiration.Default;
        await db.StringSetAsync(_keys.Version(task, version), value, ttl).ConfigureAwait(false);
        await db.ScriptEvaluateAsync(RaisePointer, [_keys.LatestVersion(task)], [version]).ConfigureAwait(false);
        var old = version - _retention.KeepVersions;
        if (old >= 1) await db.KeyDeleteAsync(_keys.Version(task, old)).ConfigureAwait(false);
        var note = new VersionAnnouncement(task, version, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await _producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = task, Value = note.ToJson() }, ct).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
