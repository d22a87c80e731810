using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>Dead letters are the rejected record byte for byte (key, value, the producer's headers) plus our reason headers.</summary>
[Collection(StreamingCollection.Name)]
public sealed class DeadLetterFidelityTests(RedisFixture redis) : IDisposable
{
    private readonly TestKafka _kafka = new(partitions: 1);
    private readonly string _prefix = RedisFixture.UniquePrefix();

    private List<ConsumeResult<byte[], byte[]>> ReadRaw(string topic, int count, TimeSpan timeout)
    {
        using var consumer = KafkaClientFactory.Instance.CreateRawReader(new ConsumerConfig
        {
            BootstrapServers = _kafka.Bootstrap, GroupId = $"raw-{Guid.NewGuid():N}", GroupProtocol = GroupProtocol.Consumer,
            AutoOffsetReset = AutoOffsetReset.Earliest, EnableAutoCommit = false,
        });
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < count && DateTime.UtcNow < deadline)
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { Message: not null } r) results.Add(r);
        consumer.Close();
        return results;
    }

    private static string? Header(ConsumeResult<byte[], byte[]> r, string name) => DeadLetters.Header(r.Message.Headers, name);

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_dead_letter_keeps_a_non_utf8_key_a_null_value_and_the_producers_headers_byte_for_byte(string protocol)
    {
        byte[] badKey = [0xFF, 0xFE, 0x41, 0xC3];
        var headers = new Headers { { "trace-id", [1, 2, 3, 0xFF] }, { "dup", "a"u8.ToArray() }, { "dup", "b"u8.ToArray() }, { "empty", [] } };
        using (var raw = KafkaClientFactory.Instance.CreateRawProducer(new ProducerConfig { BootstrapServers = _kafka.Bootstrap, EnableIdempotence = true }))
        {
            await raw.ProduceAsync(_kafka.Topics.Clicks, new Message<byte[], byte[]> { Key = badKey, Value = null!, Headers = headers });
            await raw.ProduceAsync(_kafka.Topics.Clicks, new Message<byte[], byte[]> { Key = null!, Value = "{not json"u8.ToArray() });
        }
        await using var ingest = await IngestRun.StartAsync(_kafka.Bootstrap, redis.Configuration, _prefix, protocol: protocol);
        await ingest.WaitForProcessedAsync(2);

        var dead = ReadRaw(_kafka.Topics.DeadLetter, 2, TimeSpan.FromSeconds(15)).OrderBy(d => long.Parse(Header(d, DeadLetterHeaders.Offset)!)).ToList();
        Assert.Equal(2, dead.Count);
        Assert.Equal(badKey, dead[0].Message.Key);
        Assert.Null(dead[0].Message.Value);
        var kept = dead[0].Message.Headers.Take(4).Select(h => (h.Key, h.GetValueBytes())).ToList();
        Assert.Equal(headers.Select(h => (h.Key, h.GetValueBytes())), kept);
        Assert.Equal(
            [DeadLetterHeaders.Reason, DeadLetterHeaders.SourceTopic, DeadLetterHeaders.Partition, DeadLetterHeaders.Offset],
            dead[0].Message.Headers.Skip(4).Select(h => h.Key));
        Assert.StartsWith("malformed_json: ", Header(dead[0], DeadLetterHeaders.Reason));
        Assert.Null(dead[1].Message.Key);
        Assert.Equal("{not json"u8.ToArray(), dead[1].Message.Value);
    }

    [Fact]
    public async Task An_invalid_version_announcement_is_dead_lettered_by_serving()
    {
        using var backbone = new TinyBackbone();
        var serving = await StartServingAsync(Base(_kafka.Bootstrap, redis.Configuration, _prefix), backbone.Dir, ["rec"], pollMs: 100);
        try
        {
            var registry = serving.Services.GetRequiredService<KafkaConsumerRegistry>();
            await Eventually.Async(() => Task.FromResult(registry.Consumers.Any(c => c.Name == "serving-patches" && c.Assignment.Count > 0)),
                TimeSpan.FromSeconds(30), () => "the announcement consumer holds no partition");
            // Its group starts at the latest offset, which it resolves some time after the assignment: repeat the bad
            // announcement until one is read (each read one is dead-lettered).
            List<ConsumeResult<byte[], byte[]>> dead = [];
            await Eventually.Async(async () =>
            {
                await _kafka.Producer.ProduceAsync(_kafka.Topics.Patches,
                    new Message<string, byte[]> { Key = "rec", Value = """{"task":"rec","version":0,"ts":1}"""u8.ToArray() });
                dead = ReadRaw(_kafka.Topics.DeadLetter, 1, TimeSpan.FromMilliseconds(500));
                return dead.Count > 0;
            }, TimeSpan.FromSeconds(30), () => "no dead letter for the bad announcement");
            Assert.Equal(_kafka.Topics.Patches, Header(dead[0], DeadLetterHeaders.SourceTopic));
            Assert.Equal("wrong_type: field 'version' = 0 must be >= 1", Header(dead[0], DeadLetterHeaders.Reason));
            Assert.Equal("rec"u8.ToArray(), dead[0].Message.Key);
            Assert.Equal("""{"task":"rec","version":0,"ts":1}"""u8.ToArray(), dead[0].Message.Value);
        }
        finally
        {
            await serving.StopAndDisposeAsync();
        }
    }

    public void Dispose() => _kafka.Dispose();
}
