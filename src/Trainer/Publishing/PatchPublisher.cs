using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Common.Contracts;
using PeterRec.Common.Kafka;
using PeterRec.Common.Redis;
using PeterRec.Trainer.Hosting;
using StackExchange.Redis;

namespace PeterRec.Trainer.Publishing;

/// <summary>Announcement on the patches topic: key = task, value <c>{"task":"rec","version":7,"ts":...}</c>.</summary>
public sealed record PatchAnnouncement(string Task, long Version, long Ts);

/// <summary>
/// Publishes patch versions. Redis: the value goes to <see cref="RedisKeys.Patch"/> (with a TTL as a backstop), then
/// <see cref="RedisKeys.PatchLatest"/> is raised to the version by a script that never lowers it, then the version
/// <c>KeepVersions</c> back is deleted. So a reader that follows the pointer always finds a whole value, and a replayed
/// publish of an older version cannot move servers backwards. Kafka: an announcement on the patches topic, keyed by
/// task, tells servers to look now (they also poll the pointer, so a lost announcement only delays a swap).
/// Every step is idempotent: publishing the same version twice writes the same bytes.
/// </summary>
public sealed class PatchPublisher : IDisposable
{
    private const string RaisePointer = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '-1')
        if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) return 1 end
        return 0
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKeys _keys;
    private readonly TrainerOptions _options;
    private readonly string _topic;
    private readonly IProducer<string, byte[]> _producer;

    public PatchPublisher(IConnectionMultiplexer redis, RedisKeys keys, IOptions<TrainerOptions> options, IOptions<TopicOptions> topics,
        KafkaClientFactory kafka, ILogger<PatchPublisher> logger)
    {
        _redis = redis;
        _keys = keys;
        _options = options.Value;
        _topic = topics.Value.Patches;
        _producer = new ProducerBuilder<string, byte[]>(kafka.CreateProducerConfig($"peterrec-trainer-{_options.Task}"))
            .SetErrorHandler((_, e) => logger.Log(e.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Patch producer: {Code} {Reason}", e.Code, e.Reason))
            .Build();
    }

    /// <summary>The version the latest pointer names, or 0 when the task has none.</summary>
    public async Task<long> LatestAsync(string task)
    {
        var v = await _redis.GetDatabase().StringGetAsync(_keys.PatchLatest(task)).ConfigureAwait(false);
        return v.IsNull ? 0 : long.Parse((string)v!, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The stored value of a version, or null when it is gone (trimmed or expired).</summary>
    public async Task<byte[]?> ReadAsync(string task, long version)
    {
        var v = await _redis.GetDatabase().StringGetAsync(_keys.Patch(task, version)).ConfigureAwait(false);
        return v.IsNull ? null : (byte[])v!;
    }

    public async Task PublishAsync(string task, long version, byte[] blob, CancellationToken ct)
    {
        var db = _redis.GetDatabase();
        var ttl = _options.PatchTtlSeconds > 0 ? new Expiration(TimeSpan.FromSeconds(_options.PatchTtlSeconds)) : Expiration.Default;
        await db.StringSetAsync(_keys.Patch(task, version), blob, ttl).ConfigureAwait(false);
        await db.ScriptEvaluateAsync(RaisePointer, [_keys.PatchLatest(task)], [version]).ConfigureAwait(false);
        var old = version - _options.KeepVersions;
        if (old >= 1) await db.KeyDeleteAsync(_keys.Patch(task, old)).ConfigureAwait(false);
        var note = new PatchAnnouncement(task, version, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await _producer.ProduceAsync(_topic, new Message<string, byte[]>
        {
            Key = task, Value = JsonSerializer.SerializeToUtf8Bytes(note, JsonOptions),
        }, ct).ConfigureAwait(false);
    }

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(5));
        _producer.Dispose();
    }
}
