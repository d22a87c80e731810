using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Hosting;

namespace PeterRec.Kafka;

/// <summary>
/// Sends rejected records, byte-faithful, to the dead-letter topic (see <see cref="DeadLetterHeaders"/>) for every role,
/// and counts them as <c>peterrec.dead_letters{role, reason}</c>. A handler awaits the deliveries before returning,
/// so a record's offset is stored only once its dead letter is durable.
/// </summary>
public sealed class DeadLetterSink : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly string _topic;
    private readonly Counter<long> _count;
    private readonly ILogger<DeadLetterSink> _logger;

    public DeadLetterSink(KafkaClientConfigs configs, IKafkaClientFactory clients, IOptions<TopicOptions> topics, PeterRecMetrics metrics, ILogger<DeadLetterSink> logger)
    {
        _topic = topics.Value.DeadLetter;
        _logger = logger;
        _count = metrics.Meter.CreateCounter<long>("peterrec.dead_letters", "{record}", "Records sent to the dead-letter topic, by role and reason kind");
        _producer = clients.CreateRawProducer(configs.CreateProducerConfig("peterrec-dead-letters"),
            e => logger.Log(e.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Dead-letter producer: {Code} {Reason}", e.Code, e.Reason),
            m => logger.LogDebug("librdkafka {Facility}: {Message}", m.Facility, m.Message));
    }

    /// <param name="role">Low-cardinality metric label: trainer, serving.</param>
    public Task SendAsync(string role, ConsumeResult<string, byte[]> record, DeadLetterReason reason, string detail, CancellationToken ct)
    {
        _count.Add(1, new KeyValuePair<string, object?>("role", role), new KeyValuePair<string, object?>("reason", reason.ToKind()));
        return ProduceAsync(record, reason, detail, ct);
    }

    /// <summary>Produces the dead letter without counting it here (Ingest counts its own, <c>peterrec.ingest.dead_letters</c>).</summary>
    public Task ProduceAsync(ConsumeResult<string, byte[]> record, DeadLetterReason reason, string detail, CancellationToken ct)
    {
        // The detail may quote the record; logged at Debug only (user ids stay out of normal logs).
        _logger.LogDebug("Dead letter {Position}: {Reason}: {Detail}", record.TopicPartitionOffset, reason.ToKind(), detail);
        return _producer.ProduceAsync(_topic, DeadLetters.ToMessage(record, reason, detail), ct);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }
}
