using Confluent.Kafka;
using PeterRec.Kafka;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>
/// An in-memory broker behind <see cref="IKafkaClientFactory"/> for consume-loop tests without TCP: one topic's
/// partitions as lists, one subscribing consumer that is assigned every partition on its first poll, rebalances the
/// test triggers (raised from inside Consume, on the loop's thread, as librdkafka does), and a journal of every call
/// that moves offsets, in order.
/// </summary>
public sealed class FakeKafka(string topic, int partitions) : IKafkaClientFactory
{
    private readonly object _gate = new();

    public string Topic { get; } = topic;
    private readonly List<byte[]>[] _logs = [.. Enumerable.Range(0, partitions).Select(_ => new List<byte[]>())];
    private readonly Queue<(string Kind, TopicPartition[] Parts)> _rebalances = new();

    /// <summary>"assigned p", "revoked p", "lost p", "store p@o", "seek p@o", "close" in the order they happened.</summary>
    public List<string> Journal { get; } = [];

    /// <summary>Stored offsets (next to read) per partition, as a commit would write them.</summary>
    public Dictionary<int, long> Stored { get; } = [];

    public HashSet<int> Assigned { get; } = [];

    /// <summary>Records handed out by Consume so far (redeliveries included).</summary>
    public int Delivered { get; private set; }

    public void Append(int partition, byte[] value)
    {
        lock (_gate) _logs[partition].Add(value);
    }

    public void Revoke(params int[] parts) => Enqueue("revoked", parts);

    public void Lose(params int[] parts) => Enqueue("lost", parts);

    /// <summary>An incremental assignment (cooperative or KIP-848): only these partitions are added, from their stored offsets.</summary>
    public void Assign(params int[] parts) => Enqueue("assigned", parts);

    public string[] JournalSnapshot()
    {
        lock (_gate) return [.. Journal];
    }

    private void Enqueue(string kind, int[] parts)
    {
        lock (_gate) _rebalances.Enqueue((kind, [.. parts.Select(p => new TopicPartition(Topic, p))]));
    }

    public IKafkaConsumer CreateConsumer(ConsumerConfig config, ConsumerEvents events) => new Consumer(this, events);

    public IProducer<string, byte[]> CreateProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null) =>
        throw new NotSupportedException("the fake broker serves consume-loop tests; produce with TestKafka");

    public IProducer<byte[], byte[]> CreateRawProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null) =>
        throw new NotSupportedException("the fake broker serves consume-loop tests; produce with TestKafka");

    private sealed class Consumer(FakeKafka broker, ConsumerEvents events) : IKafkaConsumer
    {
        private readonly Dictionary<int, long> _position = [];
        private bool _subscribed, _assignedOnce;
        private int _next;

        public void Subscribe(IEnumerable<string> topics) => _subscribed = topics.Contains(broker.Topic);

        public IReadOnlyList<TopicPartition> AssignAllAtEnd(IEnumerable<string> topics, TimeSpan timeout) =>
            throw new NotSupportedException("the fake broker models a consumer group");

        public ConsumeResult<string, byte[]>? Consume(TimeSpan timeout)
        {
            if (!_subscribed) throw new InvalidOperationException("not subscribed");
            if (!_assignedOnce)
            {
                _assignedOnce = true;
                var all = Enumerable.Range(0, broker._logs.Length).Select(p => new TopicPartition(broker.Topic, p)).ToList();
                lock (broker._gate)
                    foreach (var tp in all)
                    {
                        broker.Assigned.Add(tp.Partition.Value);
                        broker.Journal.Add($"assigned {tp.Partition.Value}");
                        _position[tp.Partition.Value] = broker.Stored.GetValueOrDefault(tp.Partition.Value);
                    }
                events.Assigned(all);
            }
            (string Kind, TopicPartition[] Parts)? rebalance = null;
            lock (broker._gate) if (broker._rebalances.Count > 0) rebalance = broker._rebalances.Dequeue();
            if (rebalance is { Kind: "assigned" } a)
            {
                lock (broker._gate)
                    foreach (var tp in a.Parts)
                    {
                        broker.Assigned.Add(tp.Partition.Value);
                        broker.Journal.Add($"assigned {tp.Partition.Value}");
                        _position[tp.Partition.Value] = broker.Stored.GetValueOrDefault(tp.Partition.Value);
                    }
                events.Assigned(a.Parts);
                return null;
            }
            if (rebalance is { } r)
            {
                // The callback runs while the partitions are still ours; they leave when it returns.
                if (r.Kind == "revoked") events.Revoked(r.Parts);
                else events.Lost(r.Parts);
                lock (broker._gate)
                    foreach (var tp in r.Parts)
                    {
                        broker.Assigned.Remove(tp.Partition.Value);
                        broker.Journal.Add($"{r.Kind} {tp.Partition.Value}");
                        _position.Remove(tp.Partition.Value);
                    }
                return null;
            }
            lock (broker._gate)
            {
                var owned = _position.Keys.Order().ToList();
                for (int i = 0; i < owned.Count; i++)
                {
                    var p = owned[(_next + i) % owned.Count];
                    if (_position[p] >= broker._logs[p].Count) continue;
                    _next = (_next + i + 1) % Math.Max(1, owned.Count);
                    var offset = _position[p]++;
                    broker.Delivered++;
                    return new ConsumeResult<string, byte[]>
                    {
                        TopicPartitionOffset = new TopicPartitionOffset(broker.Topic, p, offset),
                        Message = new Message<string, byte[]> { Key = $"k{p}", Value = broker._logs[p][(int)offset] },
                    };
                }
            }
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(2, timeout.TotalMilliseconds)));
            return null;
        }

        public void StoreOffset(TopicPartitionOffset offset)
        {
            lock (broker._gate)
            {
                if (!_position.ContainsKey(offset.Partition.Value))
                    throw new KafkaException(new Error(ErrorCode.Local_State, $"partition {offset.Partition.Value} is not assigned"));
                broker.Stored[offset.Partition.Value] = offset.Offset.Value;
                broker.Journal.Add($"store {offset.Partition.Value}@{offset.Offset.Value}");
            }
        }

        public void Seek(TopicPartitionOffset offset)
        {
            lock (broker._gate)
            {
                _position[offset.Partition.Value] = offset.Offset.Value;
                broker.Journal.Add($"seek {offset.Partition.Value}@{offset.Offset.Value}");
            }
        }

        public Offset Position(TopicPartition partition)
        {
            lock (broker._gate) return _position.TryGetValue(partition.Partition.Value, out var p) ? new Offset(p) : Offset.Unset;
        }

        public WatermarkOffsets GetWatermarkOffsets(TopicPartition partition)
        {
            lock (broker._gate) return new WatermarkOffsets(0, broker._logs[partition.Partition.Value].Count);
        }

        public void Close()
        {
            lock (broker._gate) broker.Journal.Add("close");
        }

        public void Dispose() { }
    }
}
