using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace PeterRec.Kafka;

/// <summary>
/// The one place client configs are made from <see cref="KafkaOptions"/>, so every role gets the same delivery
/// guarantees. The clients themselves come from <see cref="IKafkaClientFactory"/>.
/// </summary>
/// <remarks>
/// Offsets: <c>enable.auto.offset.store=false</c> and <c>enable.auto.commit=true</c>. A role stores an offset only
/// after the record's effect is durable (see <see cref="KafkaConsumeLoop"/>); librdkafka then commits stored offsets
/// in the background, on partition revocation and on Close(). So a commit never covers an unprocessed record, and a
/// crash redelivers at most the last auto-commit interval, which the idempotent writes absorb.
/// Group protocol: KIP-848 (<c>group.protocol=consumer</c>); on librdkafka's mock cluster a restarted member gets
/// its partitions back in milliseconds instead of waiting out a session timeout.
/// </remarks>
public sealed class KafkaClientConfigs(IOptions<KafkaOptions> options)
{
    private readonly Lazy<string> _bootstrap = new(() => ResolveBootstrap(options.Value));

    public KafkaOptions Options => options.Value;

    /// <summary>The bootstrap string, read from <see cref="KafkaOptions.BootstrapFile"/> on first use if configured.</summary>
    public string BootstrapServers => _bootstrap.Value;

    public ConsumerConfig CreateConsumerConfig(string groupId, AutoOffsetReset autoOffsetReset = AutoOffsetReset.Earliest, string? clientId = null)
    {
        var config = new ConsumerConfig
        {
            GroupId = groupId,
            ClientId = clientId ?? groupId,
            GroupProtocol = GroupProtocol.Consumer,
            EnableAutoOffsetStore = false,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 1000,
            AutoOffsetReset = autoOffsetReset,
            EnablePartitionEof = false,
            // Larger fetches keep a high-rate consumer from spending its time in round trips.
            FetchMaxBytes = 16 * 1024 * 1024,
            QueuedMinMessages = 20000,
            // librdkafka's default (1000 ms) pauses fetching whenever the local queue is full, which left a fast
            // consumer idle for ~0.4 s at a time once it drained the queue.
            FetchQueueBackoffMs = 5,
        };
        Apply(config);
        return config;
    }

    public ProducerConfig CreateProducerConfig(string? clientId = null)
    {
        var config = new ProducerConfig
        {
            ClientId = clientId,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            // Bounded so a broker outage fails deliveries (and the batch is retried) instead of hanging forever.
            MessageTimeoutMs = 120_000,
        };
        Apply(config);
        return config;
    }

    private void Apply(ClientConfig config)
    {
        var o = options.Value;
        config.BootstrapServers = BootstrapServers;
        config.SecurityProtocol = o.SecurityProtocol;
        if (o.SaslMechanism is { } mechanism) config.SaslMechanism = mechanism;
        if (!string.IsNullOrEmpty(o.SaslUsername)) config.SaslUsername = o.SaslUsername;
        if (!string.IsNullOrEmpty(o.SaslPassword)) config.SaslPassword = o.SaslPassword;
        if (!string.IsNullOrEmpty(o.SslCaLocation)) config.SslCaLocation = o.SslCaLocation;
    }

    private static string ResolveBootstrap(KafkaOptions o)
    {
        if (!string.IsNullOrWhiteSpace(o.BootstrapServers)) return o.BootstrapServers.Trim();
        var path = o.BootstrapFile!;
        var deadline = DateTime.UtcNow.AddSeconds(o.BootstrapFileWaitSeconds);
        while (true)
        {
            if (File.Exists(path))
            {
                var text = File.ReadAllText(path).Trim();
                if (text.Length > 0) return text;
            }
            if (DateTime.UtcNow >= deadline)
                throw new InvalidOperationException(
                    $"Kafka:BootstrapFile '{path}' did not appear (or stayed empty) within {o.BootstrapFileWaitSeconds} s; is `peterrec dev-broker --bootstrap-file {path}` running?");
            Thread.Sleep(100);
        }
    }
}
