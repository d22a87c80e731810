using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>How one <see cref="KafkaConsumeLoop"/> subscribes and batches.</summary>
public sealed class KafkaConsumeLoopOptions
{
    /// <summary>Short name for logs, metrics (<c>consumer</c> label) and the thread, e.g. "ingest".</summary>
    public required string Name { get; init; }

    public required IReadOnlyList<string> Topics { get; init; }

    /// <summary>
    /// Read every partition from its end without a consumer group (config without <c>group.id</c>): for a process that
    /// needs every record from now on and keeps no position, e.g. Serving's version announcements. Offsets are not
    /// stored; partitions added to a topic later are not picked up until restart.
    /// </summary>
    public bool GrouplessFromEnd { get; init; }

    /// <summary>A batch is handed over when it holds this many records ...</summary>
    public int MaxBatchSize { get; init; } = 5000;

    /// <summary>... or this long after its first record arrived, whichever comes first.</summary>
    public TimeSpan MaxBatchDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>After a failed batch the loop rewinds and waits, doubling from Min to Max, before trying again.</summary>
    public TimeSpan RetryBackoffMin { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan RetryBackoffMax { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional callbacks, run on the consume thread after the loop's own bookkeeping.</summary>
    public Action<IReadOnlyList<TopicPartition>>? OnAssigned { get; init; }

    public Action<IReadOnlyList<TopicPartition>>? OnRevoked { get; init; }

    public Action<IReadOnlyList<TopicPartition>>? OnLost { get; init; }
}
