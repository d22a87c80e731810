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
/// Group protocol (<see cref="KafkaOptions.GroupProtocol"/>): classic with the cooperative-sticky assignor by default,
/// so any broker from Kafka 2.8 on works and a rebalance moves only the partitions that change owner; KIP-848
/// (<c>consumer</c>) is one setting away. Both hand the loop incremental assignments (see <see cref="KafkaConsumeLoop"/>).
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
        var o = options.Value;
        config.GroupProtocol = o.GroupProtocol;
        // The assignor is the client's choice only in the classic protocol; with KIP-848 the broker assigns.
        if (o.GroupProtocol == GroupProtocol.Classic) config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        if (!string.IsNullOrWhiteSpace(o.GroupInstanceId)) config.GroupInstanceId = o.GroupInstanceId.Trim();
        Apply(config);
        return config;
    }

    /// <summary>A consumer outside any group, for <see cref="KafkaConsumeLoopOptions.GrouplessFromEnd"/>: it assigns itself
    /// partitions and commits nothing, so the broker never creates a group for it. Confluent.Kafka insists on a
    /// <c>group.id</c>; a fixed <paramref name="name"/> that never joins nor commits leaves no trace.</summary>
    public ConsumerConfig CreateGrouplessConsumerConfig(string name)
    {
        var config = new ConsumerConfig
        {
            ClientId = name,
            EnableAutoOffsetStore = false,
            EnableAutoCommit = false,
            EnablePartitionEof = false,
        };
        Apply(config);
        config.GroupId = name;
        // After the pass-through: committing is what would create a group on the broker.
        config.EnableAutoCommit = false;
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
        if (!string.IsNullOrEmpty(o.SslCertificateLocation)) config.SslCertificateLocation = o.SslCertificateLocation;
        if (!string.IsNullOrEmpty(o.SslKeyLocation)) config.SslKeyLocation = o.SslKeyLocation;
        if (!string.IsNullOrEmpty(o.SslKeyPassword)) config.SslKeyPassword = o.SslKeyPassword;
        if (o.SaslOauthbearerMethod == SaslOauthbearerMethod.Oidc)
        {
            config.SaslOauthbearerMethod = SaslOauthbearerMethod.Oidc;
            config.SaslOauthbearerClientId = o.SaslOauthbearerClientId;
            config.SaslOauthbearerClientSecret = o.SaslOauthbearerClientSecret;
            config.SaslOauthbearerTokenEndpointUrl = o.SaslOauthbearerTokenEndpointUrl;
            if (!string.IsNullOrEmpty(o.SaslOauthbearerScope)) config.SaslOauthbearerScope = o.SaslOauthbearerScope;
        }
        // Last, so a pass-through property can tune anything the typed options do not own (validated in KafkaOptions).
        foreach (var (property, value) in o.LibrdkafkaConfig)
            if (config is ConsumerConfig || !KafkaOptions.IsConsumerOnly(property)) config.Set(property, value);
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
