using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using PeterRec.Common.Kafka;

namespace PeterRec.Ingest.Pipeline;

/// <summary>The role's one idempotent producer (acks=all), for changed users and dead letters.</summary>
public sealed class IngestProducer : IDisposable
{
    public IngestProducer(KafkaClientFactory factory, ILogger<IngestProducer> logger)
    {
        Producer = new ProducerBuilder<string, byte[]>(factory.CreateProducerConfig("peterrec-ingest"))
            .SetErrorHandler((_, e) => logger.Log(e.IsFatal ? LogLevel.Critical : LogLevel.Warning, "Producer: {Code} {Reason}", e.Code, e.Reason))
            .Build();
    }

    public IProducer<string, byte[]> Producer { get; }

    public void Dispose()
    {
        Producer.Flush(TimeSpan.FromSeconds(10));
        Producer.Dispose();
    }
}
