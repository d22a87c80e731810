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
        new ConfluentConsumer(new ConsumerBuilder<string, byte[]>(config)
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
    private sealed class ConfluentConsumer(IConsumer<string, byte[]> inner) : IKafkaConsumer
    {
        public void Subscribe(IEnumerable<string> topics) => inner.Subscribe(topics);
        public ConsumeResult<string, byte[]>? Consume(TimeSpan timeout) => inner.Consume(timeout);
        public void StoreOffset(TopicPartitionOffset offset) => inner.StoreOffset(offset);
        public void Seek(TopicPartitionOffset offset) => inner.Seek(offset);
        public Offset Position(TopicPartition partition) => inner.Position(partition);
        public WatermarkOffsets GetWatermarkOffsets(TopicPartition partition) => inner.GetWatermarkOffsets(partition);
        public void Close() => inner.Close();
        public void Dispose() => inner.Dispose();
    }
}
