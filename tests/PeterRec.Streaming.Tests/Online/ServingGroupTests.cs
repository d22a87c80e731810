using System.Collections.Concurrent;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Hosting;
using PeterRec.Kafka;
using PeterRec.Serving.Hosting;
using PeterRec.Streaming.Tests.Infrastructure;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>Serving reads the patches topic outside any consumer group, so restarts leave no group behind on the broker.</summary>
/// <remarks>A broker creates a group only when a member joins (subscribes) or commits offsets, so the test records both
/// for every consumer Serving makes, over real consumers on the dev broker. (Listing the broker's groups with
/// AdminClient.ListConsumerGroups is not possible here: it crashes librdkafka 2.16's mock cluster.)</remarks>
[Collection(StreamingCollection.Name)]
public sealed class ServingGroupTests(RedisFixture redis) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 2);

    [Fact]
    public async Task Restarting_serving_ten_times_leaves_no_new_consumer_group_on_the_broker()
    {
        var recorder = new RecordingClients();
        var prefix = RedisFixture.UniquePrefix();
        for (var start = 0; start < 10; start++)
        {
            // KIP-848 for the shared group: on the dev broker a classic member's leave waits out its session (see GroupProtocols).
            var config = Base(_kafka.Bootstrap, redis.Configuration, prefix, protocol: "consumer");
            config["Serving:BackboneDir"] = _backbone.Dir;
            config["Serving:Device"] = "cpu";
            config["Serving:Tasks:0"] = "rec";
            var builder = ServiceDefaults.CreateRoleBuilder([], config);
            builder.Services.AddSingleton<IKafkaClientFactory>(recorder);
            builder.AddPeterRecServiceDefaults("peterrec-serving");
            builder.Services.AddServing();
            var serving = builder.Build();
            serving.MapPeterRecDefaultEndpoints();
            await serving.StartAsync();
            try
            {
                var consumers = serving.Services.GetRequiredService<KafkaConsumerRegistry>();
                await Eventually.Async(() => Task.FromResult(consumers.Consumers.Count == 2 && consumers.Consumers.All(c => c.Assignment.Count > 0)),
                    TimeSpan.FromSeconds(30), () => string.Join("; ", consumers.Consumers.Select(c => $"{c.Name}: {c.Assignment.Count} partitions")));
                Assert.Equal(2, consumers.Consumers.Single(c => c.Name == "serving-patches").Assignment.Count);
            }
            finally
            {
                await serving.StopAndDisposeAsync();
            }
        }
        var made = recorder.Consumers.ToList();
        Assert.Equal(20, made.Count);
        // The one shared group over changed users, joined again on every start; nothing else ever joined a group ...
        Assert.Equal(["peterrec-serving"], made.Where(c => c.Subscribed).Select(c => c.GroupId).Distinct());
        // ... and the patch readers assigned themselves partitions and could not commit.
        var readers = made.Where(c => !c.Subscribed).ToList();
        Assert.Equal(10, readers.Count);
        Assert.All(readers, r => Assert.True(r.Assigned && !r.AutoCommit, $"{r.GroupId}: assigned={r.Assigned} auto-commit={r.AutoCommit}"));
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
    }

    private sealed record Made(string? GroupId, bool AutoCommit)
    {
        public bool Subscribed { get; set; }
        public bool Assigned { get; set; }
    }

    /// <summary>Real clients from <see cref="KafkaClientFactory"/>, with a record of how each consumer meets the group coordinator.</summary>
    private sealed class RecordingClients : IKafkaClientFactory
    {
        public ConcurrentQueue<Made> Consumers { get; } = new();

        public IKafkaConsumer CreateConsumer(ConsumerConfig config, ConsumerEvents events)
        {
            var made = new Made(config.GroupId, config.EnableAutoCommit != false);
            Consumers.Enqueue(made);
            return new Recording(KafkaClientFactory.Instance.CreateConsumer(config, events), made);
        }

        public IProducer<string, byte[]> CreateProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null) =>
            KafkaClientFactory.Instance.CreateProducer(config, onError, onLog);

        public IProducer<byte[], byte[]> CreateRawProducer(ProducerConfig config, Action<Error>? onError = null, Action<LogMessage>? onLog = null) =>
            KafkaClientFactory.Instance.CreateRawProducer(config, onError, onLog);
    }

    private sealed class Recording(IKafkaConsumer inner, Made made) : IKafkaConsumer
    {
        public void Subscribe(IEnumerable<string> topics)
        {
            made.Subscribed = true;
            inner.Subscribe(topics);
        }

        public IReadOnlyList<TopicPartition> AssignAllAtEnd(IEnumerable<string> topics, TimeSpan timeout)
        {
            made.Assigned = true;
            return inner.AssignAllAtEnd(topics, timeout);
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
