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

/// <summary>A publish refused because another trainer of the task holds a newer lease (its fencing token is higher).</summary>
public sealed class FencedOffException(string message) : Exception(message);

/// <summary>
/// Publishes versions of a task's weights. Redis, in one script (every key carries the task's hash tag, so in Redis
/// Cluster they share a slot): the publisher's fencing token is checked against the last token issued for the task's
/// lease (<see cref="RedisKeys.LeaseToken"/>) and an older one is refused with nothing written; else the value goes
/// to <see cref="RedisKeys.Version"/> (with a TTL as a backstop) and <see cref="RedisKeys.LatestVersion"/> is raised
/// to the version, only if that is higher than the pointer (it never lowers it, and never overwrites a number a
/// rollback took), and the version <c>KeepVersions</c> back is deleted. So a reader that follows the pointer always
/// finds a whole value, a replayed publish of an older version cannot move servers backwards, and a trainer that lost
/// its lease cannot overwrite a value or move the pointer. Kafka: a <see cref="VersionAnnouncement"/> on the patches
/// topic, keyed by task, tells servers to look now (they also poll the pointer, so a lost announcement only delays a
/// swap). Every step is idempotent: publishing the same version twice writes the same bytes.
/// </summary>
public sealed class VersionPublisher : IDisposable
{
    // KEYS: value, latest pointer, fencing-token counter, value to trim (or the value key again when none).
    // ARGV: bytes, version, token, ttl ms (0 = none).
    // Returns 1 published, 0 this exact value is already the latest (a retry), -1 the number is taken (a rollback),
    // -2 fenced off. Nothing is written unless 1.
    private const string Publish = """
        local issued = tonumber(redis.call('GET', KEYS[3]) or '0')
        if tonumber(ARGV[3]) < issued then return -2 end
        local current = tonumber(redis.call('GET', KEYS[2]) or '0')
        local version = tonumber(ARGV[2])
        if version > current then
          if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4]) else redis.call('SET', KEYS[1], ARGV[1]) end
          redis.call('SET', KEYS[2], ARGV[2])
          if KEYS[4] ~= KEYS[1] then redis.call('DEL', KEYS[4]) end
          return 1
        end
        if version == current and redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
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

    /// <param name="fencingToken">The caller's lease token (<see cref="Leasing.TaskLease"/>); 0 = no lease (tools, benchmarks).</param>
    /// <returns>False when the number is taken by a higher or different latest version (a rollback): nothing was written.</returns>
    /// <exception cref="FencedOffException">A trainer with a newer lease exists; nothing was written or announced.</exception>
    public async Task<bool> PublishAsync(string task, long version, byte[] value, long fencingToken, CancellationToken ct)
    {
        var db = _redis.GetDatabase();
        var ttlMs = _retention.TtlSeconds > 0 ? _retention.TtlSeconds * 1000L : 0;
        var old = version - _retention.KeepVersions;
        var key = _keys.Version(task, version);
        var result = (long)await db.ScriptEvaluateAsync(Publish,
            [key, _keys.LatestVersion(task), _keys.LeaseToken(task), old >= 1 ? _keys.Version(task, old) : key],
            [value, version, fencingToken, ttlMs]).ConfigureAwait(false);
        if (result == -1) return false;
        if (result < 0)
            throw new FencedOffException($"task {task}: version {version} refused: fencing token {fencingToken} is older than the task's latest lease");
        var note = new VersionAnnouncement(task, version, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), fencingToken);
        await _producer.ProduceAsync(_topic, new Message<string, byte[]> { Key = task, Value = note.ToJson() }, ct).ConfigureAwait(false);
        return true;
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
