using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using PeterRec.Kafka;

namespace PeterRec.Ingest;

/// <summary>The role's one idempotent producer (acks=all), for changed users (dead letters go through <see cref="DeadLetterSink"/>, raw keys).</summary>
public sealed class IngestProducer : IDisposable
{
    public IngestProducer(KafkaClientConfigs configs, IKafkaClientFactory clients, ILogger<IngestProducer> logger)
    {
        Producer = clients.CreateProducer(configs.CreateProducerConfig("peterrec-ingest"),
            e => logger.Log(e.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Producer: {Code} {Reason}", e.Code, e.Reason),
            // Through the role's logger, so Logging:Format=json covers them; the errors among them arrive above too.
            m => logger.LogDebug("librdkafka {Facility}: {Message}", m.Facility, m.Message));
    }

    public IProducer<string, byte[]> Producer { get; }

    public void Dispose()
    {
        Producer.Flush(TimeSpan.FromSeconds(10));
        Producer.Dispose();
    }
}
