using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>
/// The one place librdkafka clients are built (<c>ConsumerBuilder</c>, <c>ProducerBuilder</c>, <c>AdminClientBuilder</c>),
/// so every client decodes keys the same way and reports its errors.
/// </summary>
public sealed class KafkaClientFactory : IKafkaClientFactory
{
    public static readonly KafkaClientFactory Instance = new();

    public IKafkaConsumer CreateConsumer(ConsumerConfig config, ConsumerEvents events) =>
        new ConfluentConsumer(config, new ConsumerBuilder<string, byte[]>(config)
            .SetKeyDeserializer(LenientUtf8KeyDeserializer.Instance)
            .SetPartitionsAssignedHandler((_, parts) => events.Assigned(parts))
            .SetPartitionsRevokedHandler((_, parts) => events.Revoked([.. parts.Select(p => p.TopicPartition)]))
            .SetPartitionsLostHandler((_, parts) => events.Lost([.. parts.Select(p => p.TopicPartition)]))
            .SetErrorHandler((_, e) => events.Error(e))
            .SetLogHandler((_, m) => events.Log?.Invoke(m))
            .Build());

    public IProducer<string, byte[]> CreateProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null)
    {
        var builder = new ProducerBuilder<string, byte[]>(config);
        if (onError is not null) builder.SetErrorHandler((_, e) => onError(e));
        if (onLog is not null) builder.SetLogHandler((_, m) => onLog(m));
        return builder.Build();
    }

    public IProducer<byte[], byte[]> CreateRawProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null)
    {
        var builder = new ProducerBuilder<byte[], byte[]>(config);
        if (onError is not null) builder.SetErrorHandler((_, e) => onError(e));
        if (onLog is not null) builder.SetLogHandler((_, m) => onLog(m));
        return builder.Build();
    }

    /// <summary>A consumer of raw keys and values (tests and tools that check bytes exactly).</summary>
    public IConsumer<byte[], byte[]> CreateRawReader(ConsumerConfig config) => new ConsumerBuilder<byte[], byte[]>(config).Build();

    /// <summary>A consumer for reading topics by explicit assignment (audits, tools), keys decoded leniently.</summary>
    public IConsumer<string, byte[]> CreateReader(ConsumerConfig config) =>
        new ConsumerBuilder<string, byte[]>(config).SetKeyDeserializer(LenientUtf8KeyDeserializer.Instance).Build();

    public IAdminClient CreateAdmin(AdminClientConfig config) => new AdminClientBuilder(config).Build();

    /// <summary>Adapts librdkafka's consumer to the loop's seam; every call goes straight through.</summary>
    private sealed class ConfluentConsumer(ConsumerConfig config, IConsumer<string, byte[]> inner) : IKafkaConsumer
    {
        public void Subscribe(IEnumerable<string> topics) => inner.Subscribe(topics);

        public IReadOnlyList<TopicPartition> AssignAllAtEnd(IEnumerable<string> topics, TimeSpan timeout)
        {
            // A short-lived admin client on the same connection settings (a dependent admin client on the consumer's
            // handle crashed librdkafka 2.16 on dispose: double free). Consumer-only properties stay out of it.
            using var admin = new AdminClientBuilder(new AdminClientConfig(config
                .Where(kv => !KafkaOptions.IsConsumerOnly(kv.Key))
                .ToDictionary(kv => kv.Key, kv => kv.Value))).Build();
            var partitions = new List<TopicPartition>();
            foreach (var topic in topics)
            {
                var meta = admin.GetMetadata(topic, timeout).Topics.Single(t => t.Topic == topic);
                if (meta.Error.IsError) throw new KafkaException(meta.Error);
                partitions.AddRange(meta.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)));
            }
            // The end as of now, resolved here: Offset.End would be resolved at the first fetch, after records produced
            // in between.
            inner.Assign(partitions.Select(tp => new TopicPartitionOffset(tp, inner.QueryWatermarkOffsets(tp, timeout).High)));
            return partitions;
        }
        public ConsumeResult<string, byte[]>? Consume(TimeSpan timeout) => inner.Consume(timeout);
        public void StoreOffset(TopicPartitionOffset offset) => inner.StoreOffset(offset);
        public void Seek(TopicPartitionOffset offset) => inner.Seek(offset);
        public Offset Position(TopicPartition partition) => inner.Position(partition);
        public WatermarkOffsets GetWatermarkOffsets(TopicPartition partition) => inner.GetWatermarkOffsets(partition);
        public void Close() => inner.Close();
        public void Dispose() => inner.Dispose();
    }
}
