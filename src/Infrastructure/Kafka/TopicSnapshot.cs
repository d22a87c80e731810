using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>
/// A bounded read of a whole topic: every partition from its earliest offset up to the end offset it had when the
/// read started, by explicit assignment (no consumer group joins, nothing is committed), so the read finishes even
/// while producers keep writing, and running it never moves any group's offsets. Records come out partition by
/// partition as fetched; within a partition in offset order.
/// </summary>
public static class TopicSnapshot
{
    /// <param name="stall">Give up when no record arrives for this long while some partition is short of its end.</param>
    /// <exception cref="InvalidOperationException">The topic does not exist or its metadata cannot be read.</exception>
    /// <exception cref="TimeoutException">The read stalled.</exception>
    public static IEnumerable<ConsumeResult<string, byte[]>> Read(KafkaClientConfigs configs, KafkaClientFactory clients, string topic,
        TimeSpan? stall = null, Action<string>? log = null)
    {
        var limit = stall ?? TimeSpan.FromSeconds(60);
        var config = configs.CreateConsumerConfig($"peterrec-snapshot-{Guid.NewGuid():N}");
        // Assignment only: no group membership, no commits.
        config.GroupProtocol = null;
        config.EnableAutoCommit = false;
        using var consumer = clients.CreateReader(config);
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        Metadata metadata;
        try { metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)); }
        catch (KafkaException e) { throw new InvalidOperationException($"topic {topic}: cannot read its metadata from {configs.BootstrapServers}: {e.Error.Reason}", e); }
        var t = metadata.Topics.SingleOrDefault(m => m.Topic == topic);
        if (t is null || t.Error.IsError || t.Partitions.Count == 0)
            throw new InvalidOperationException($"topic {topic} not found at {configs.BootstrapServers}{(t?.Error.IsError == true ? $": {t.Error.Reason}" : "")}");
        var end = new Dictionary<int, long>();
        var assign = new List<TopicPartitionOffset>();
        foreach (var p in t.Partitions.Select(p => p.PartitionId).Order())
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            if (w.High.Value <= w.Low.Value) continue;
            end[p] = w.High.Value;
            assign.Add(new TopicPartitionOffset(topic, p, w.Low));
        }
        log?.Invoke($"{topic}: reading {end.Values.Sum() - assign.Sum(a => a.Offset.Value)} records from {assign.Count} of {t.Partitions.Count} partitions up to their end offsets now");
        if (assign.Count == 0) yield break;
        consumer.Assign(assign);
        var done = new HashSet<int>();
        var lastProgress = DateTime.UtcNow;
        while (done.Count < end.Count)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null || r.IsPartitionEOF || r.Message is null)
            {
                // Gaps (compaction, transaction markers) can leave the last offsets without a record: ask the position.
                foreach (var (p, high) in end)
                    if (!done.Contains(p) && consumer.Position(new TopicPartition(topic, p)).Value >= high) done.Add(p);
                if (DateTime.UtcNow - lastProgress > limit)
                    throw new TimeoutException($"topic {topic}: no record for {limit.TotalSeconds:F0} s with {end.Count - done.Count} partitions short of their end offsets");
                continue;
            }
            lastProgress = DateTime.UtcNow;
            var part = r.Partition.Value;
            if (r.Offset.Value < end[part]) yield return r;
            if (r.Offset.Value + 1 >= end[part]) done.Add(part);
        }
    }
}
