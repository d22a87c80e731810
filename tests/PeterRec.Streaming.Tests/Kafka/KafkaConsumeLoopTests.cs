using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PeterRec.Kafka;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Kafka;

public class KafkaConsumeLoopTests
{
    private static KafkaConsumeLoop Loop(TestKafka kafka, string group, string protocol, Func<IReadOnlyList<ConsumeResult<string, byte[]>>, CancellationToken, Task> handler,
        Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var factory = new KafkaClientConfigs(Options.Create(new KafkaOptions
        {
            BootstrapServers = kafka.Bootstrap, GroupProtocol = Enum.Parse<GroupProtocol>(protocol, ignoreCase: true),
            Config = GroupProtocols.Settings(protocol).Where(kv => kv.Key.StartsWith("Kafka:Config:", StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key["Kafka:Config:".Length..], kv => kv.Value!),
        }));
        return new KafkaConsumeLoop(KafkaClientFactory.Instance, factory.CreateConsumerConfig(group),
            new KafkaConsumeLoopOptions { Name = "test", Topics = ["in"], RetryBackoffMin = TimeSpan.FromMilliseconds(10) },
            handler, logger ?? NullLogger.Instance);
    }

    [Theory]
    [InlineData("classic", "group protocol classic, assignor cooperative-sticky")]
    [InlineData("consumer", "group protocol consumer (KIP-848), assignor broker-side")]
    public async Task A_consumer_logs_its_group_protocol_and_assignor_when_it_starts(string protocol, string expected)
    {
        using var kafka = new TestKafka();
        kafka.Cluster.CreateTopic("in", 1);
        var log = new ListLogger();
        await using var loop = Loop(kafka, "g", protocol, (_, _) => Task.CompletedTask, log);
        loop.Start();
        await Eventually.Async(() => Task.FromResult(loop.IsReady), describe: () => log.Text);
        Assert.Contains(log.Lines, l => l.Contains(expected, StringComparison.Ordinal) && l.Contains("instance dynamic", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_failed_batch_is_consumed_again_and_only_then_committed(string protocol)
    {
        using var kafka = new TestKafka();
        kafka.Cluster.CreateTopic("in", 2);
        for (var i = 0; i < 10; i++) await kafka.Producer.ProduceAsync("in", new Message<string, byte[]> { Key = $"k{i}", Value = [(byte)i] });

        var seen = new List<byte>();
        var failures = 0;
        await using (var loop = Loop(kafka, "g", protocol, (batch, _) =>
        {
            if (failures++ == 0) throw new InvalidOperationException("injected");
            lock (seen) seen.AddRange(batch.Select(r => r.Message.Value[0]));
            return Task.CompletedTask;
        }))
        {
            loop.Start();
            await Eventually.Async(() => Task.FromResult(loop.ProcessedRecords >= 10), describe: () => $"{loop.ProcessedRecords} processed");
            Assert.True(loop.IsReady);
            Assert.Null(loop.LastError);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), seen.Order());

        // Everything was committed: a successor in the same group gets only new records.
        await kafka.Producer.ProduceAsync("in", new Message<string, byte[]> { Key = "k", Value = [42] });
        var next = new List<byte>();
        await using var successor = Loop(kafka, "g", protocol, (batch, _) =>
        {
            lock (next) next.AddRange(batch.Select(r => r.Message.Value[0]));
            return Task.CompletedTask;
        });
        successor.Start();
        await Eventually.Async(() => Task.FromResult(successor.ProcessedRecords >= 1));
        await Task.Delay(300);
        Assert.Equal([42], next);
    }

    [Fact]
    public void The_loop_refuses_automatic_offset_storing()
    {
        using var kafka = new TestKafka();
        var config = new ConsumerConfig { BootstrapServers = kafka.Bootstrap, GroupId = "g" };
        Assert.Throws<ArgumentException>(() => new KafkaConsumeLoop(KafkaClientFactory.Instance, config,
            new KafkaConsumeLoopOptions { Name = "x", Topics = ["in"] }, (_, _) => Task.CompletedTask, NullLogger.Instance));
    }
}
