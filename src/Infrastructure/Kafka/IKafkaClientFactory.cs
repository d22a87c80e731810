using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>
/// Where every Kafka client of the product comes from. <see cref="KafkaClientFactory"/> builds real librdkafka
/// clients; a test can pass its own implementation to pin a consume-loop behaviour without a broker.
/// </summary>
public interface IKafkaClientFactory
{
    /// <summary>A subscribing consumer for <see cref="KafkaConsumeLoop"/>; <paramref name="events"/> run on the thread that calls Consume.</summary>
    IKafkaConsumer CreateConsumer(ConsumerConfig config, ConsumerEvents events);

    /// <summary>A producer of string keys and raw values; <paramref name="onError"/> gets client-level errors,
    /// <paramref name="onLog"/> librdkafka's log lines (without it librdkafka writes them to stderr itself).</summary>
    IProducer<string, byte[]> CreateProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null);

    /// <summary>A producer of raw keys and values (dead letters: the key exactly as it arrived); callbacks as <see cref="CreateProducer"/>.</summary>
    IProducer<byte[], byte[]> CreateRawProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null);
}

/// <summary>Callbacks of a subscribing consumer, as librdkafka raises them from inside Consume.</summary>
public sealed record ConsumerEvents(
    Action<IReadOnlyList<TopicPartition>> Assigned,
    Action<IReadOnlyList<TopicPartition>> Revoked,
    Action<IReadOnlyList<TopicPartition>> Lost,
    Action<Error> Error,
    Action<LogMessage>? Log = null);

/// <summary>
/// What <see cref="KafkaConsumeLoop"/> needs of a consumer: subscribe, poll, store and seek offsets, read positions
/// and watermarks, close. A narrow seam over <see cref="IConsumer{TKey,TValue}"/>.
/// </summary>
public interface IKafkaConsumer : IDisposable
{
    void Subscribe(IEnumerable<string> topics);

    /// <summary>Without a consumer group: takes every partition of <paramref name="topics"/>, each from its current end.
    /// Returns what it took; nothing is ever committed.</summary>
    IReadOnlyList<TopicPartition> AssignAllAtEnd(IEnumerable<string> topics, TimeSpan timeout);

    /// <summary>The next record, or null after <paramref name="timeout"/>; may raise the <see cref="ConsumerEvents"/> first.</summary>
    ConsumeResult<string, byte[]>? Consume(TimeSpan timeout);

    /// <summary>Marks <paramref name="offset"/> (the next one to read) for the next commit.</summary>
    void StoreOffset(TopicPartitionOffset offset);

    void Seek(TopicPartitionOffset offset);

    Offset Position(TopicPartition partition);

    /// <summary>Cached low and high watermarks (no broker round trip).</summary>
    WatermarkOffsets GetWatermarkOffsets(TopicPartition partition);

    /// <summary>Commits stored offsets and leaves the group.</summary>
    void Close();
}
