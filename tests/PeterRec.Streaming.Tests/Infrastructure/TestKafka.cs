using Confluent.Kafka;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Kafka;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>A fresh mock cluster with the project's topics, and small produce/consume helpers.</summary>
public sealed class TestKafka : IDisposable
{
    public TestKafka(int partitions = 4)
    {
        Cluster = new MockKafkaCluster();
        foreach (var topic in Topics.All) Cluster.CreateTopic(topic, partitions);
        Producer = KafkaClientFactory.Instance.CreateProducer(new ProducerConfig
        {
            BootstrapServers = Cluster.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 2,
        });
    }

    public MockKafkaCluster Cluster { get; }

    public TopicOptions Topics { get; } = new();

    public IProducer<string, byte[]> Producer { get; }

    public string Bootstrap => Cluster.BootstrapServers;

    public async Task ProduceClicksAsync(IEnumerable<ClickEvent> clicks)
    {
        var tasks = clicks.Select(c => Producer.ProduceAsync(Topics.Clicks, new Message<string, byte[]> { Key = c.User, Value = c.ToJson() })).ToList();
        await Task.WhenAll(tasks);
    }

    public Task ProduceRawAsync(string key, byte[] value) =>
        Producer.ProduceAsync(Topics.Clicks, new Message<string, byte[]> { Key = key, Value = value });

    /// <summary>Reads a topic from the beginning until <paramref name="count"/> records arrived or the timeout passed.</summary>
    public List<ConsumeResult<string, byte[]>> ReadTopic(string topic, int count, TimeSpan? timeout = null,
        Action<ConsumeResult<string, byte[]>>? onRecord = null)
    {
        using var consumer = KafkaClientFactory.Instance.CreateReader(new ConsumerConfig
        {
            BootstrapServers = Bootstrap, GroupId = $"reader-{Guid.NewGuid():N}", GroupProtocol = GroupProtocol.Consumer,
            AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        });
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<string, byte[]>>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (results.Count < count && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (r?.Message is null) continue;
            onRecord?.Invoke(r);
            results.Add(r);
        }
        consumer.Close();
        return results;
    }

    public void Dispose()
    {
        Producer.Dispose();
        Cluster.Dispose();
    }
}
