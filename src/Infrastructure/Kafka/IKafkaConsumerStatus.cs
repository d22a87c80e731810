using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>What readiness checks and metrics can see of a running consumer, from any thread.</summary>
public interface IKafkaConsumerStatus
{
    string Name { get; }

    /// <summary>Running, holding at least one partition, and its last batch (if any) succeeded.</summary>
    bool IsReady { get; }

    IReadOnlyList<TopicPartition> Assignment { get; }

    /// <summary>Why the consumer is not ready (last handler or fatal error), or null.</summary>
    string? LastError { get; }

    /// <summary>Records whose batch completed and whose offsets were stored.</summary>
    long ProcessedRecords { get; }

    /// <summary>Per partition: high watermark minus position, refreshed about once a second on the consume thread.</summary>
    IReadOnlyDictionary<TopicPartition, long> Lag { get; }
}
