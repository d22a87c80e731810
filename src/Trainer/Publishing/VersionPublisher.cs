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
/// Publishes versions of a task's weights. Redis: one script writes the value to <see cref="RedisKeys.Version"/> (with
/// a TTL as a backstop) and raises <see cref="RedisKeys.LatestVersion"/> to the version, only if that is higher than
/// the pointer (it never lowers it, and never overwrites a number a rollback took); then the version
/// <c>KeepVersions</c> back is deleted. So a reader that follows the pointer always finds a whole
/// value, and a replayed publish of an older version cannot move servers backwards. Kafka: a
/// <see cref="VersionAnnouncement"/> on the patches topic, keyed by task, tells servers to look now (they also poll the
/// pointer, so a lost announcement only delays a swap). Every step is idempotent: publishing the same version twice
/// writes the same bytes.
/// </summary>
public sealed class VersionPublisher : IDisposable
{
    // One script, so the value and the pointer move together and a rollback (VersionHistory) cannot take the same
    // number in between: 1 = published, 0 = this exact value is already the latest (a retry), -1 = the number is taken.
    private const string PublishScript = """
        local current = tonumber(redis.call('GET', KEYS[2]) or '0')
        local version = tonumber(ARGV[1])
        if version > current then
          if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
          redis.call('SET', KEYS[2], ARGV[1])
          return 1
        end
        if version == current and redis.call('GET', KEYS[1]) == ARGV[2] then return 0 end
        return -1
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

    /// <returns>False when the number is taken by a higher or different latest version (a rollback): nothing was written.</returns>
    public async Task<bool> PublishAsync(string task, long version, byte[] value, CancellationToken ct)
    {
        var db = _redis.GetDatabase();
        var outcome = (long)await db.ScriptEvaluateAsync(PublishScript, [_keys.Version(task, version), _keys.LatestVersion(task)],
            [version, value, _retention.TtlSeconds]).ConfigureAwait(false);
        if (outcome < 0) return false;
        var old = version - _retention.KeepVersions;
        if (old >= 1) await db.KeyDeleteAsync(_keys.Version(task, old)).ConfigureAwait(false);
        var note = new VersionAnnouncement(task, version, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await _producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = task, Value = note.ToJson() }, ct).ConfigureAwait(false);
        return true;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
