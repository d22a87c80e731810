using System.Diagnostics.Metrics;
using PeterRec.Common.Kafka;

namespace PeterRec.Common.Hosting;

/// <summary>
/// Instruments shared by every role, on the Meter <c>PeterRec</c>. Roles add their own instruments with
/// <see cref="Meter"/>. Labels are low-cardinality only (consumer name, topic, partition, error kind), never user ids.
/// </summary>
public sealed class PeterRecMetrics
{
    public const string MeterName = "PeterRec";

    private readonly Counter<long> _consumed;
    private readonly Counter<long> _errors;
    private readonly Histogram<long> _batchSize;
    private readonly Histogram<double> _batchDuration;

    public PeterRecMetrics(IMeterFactory meterFactory, KafkaConsumerRegistry consumers)
    {
        Meter = meterFactory.Create(MeterName);
        _consumed = Meter.CreateCounter<long>("peterrec.kafka.consumed", "{message}", "Records handled and their offsets stored");
        _errors = Meter.CreateCounter<long>("peterrec.errors", "{error}", "Errors by component and kind");
        _batchSize = Meter.CreateHistogram("peterrec.kafka.batch.size", "{message}", "Records per handled batch",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 10, 100, 500, 1000, 2000, 5000, 10_000, 50_000] });
        _batchDuration = Meter.CreateHistogram("peterrec.kafka.batch.duration", "s", "Time to handle one batch until its effect is durable",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        Meter.CreateObservableGauge("peterrec.kafka.consumer.lag", () => ObserveLag(consumers), "{message}",
            "High watermark minus consumer position per assigned partition");
    }

    /// <summary>The shared <c>PeterRec</c> meter, for role-specific instruments.</summary>
    public Meter Meter { get; }

    public void RecordBatch(string consumer, int size, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("consumer", consumer);
        _batchSize.Record(size, tag);
        _batchDuration.Record(duration.TotalSeconds, tag);
    }

    public void RecordConsumed(string consumer, string topic, long count) =>
        _consumed.Add(count, new KeyValuePair<string, object?>("consumer", consumer), new KeyValuePair<string, object?>("topic", topic));

    /// <param name="component">e.g. "ingest", "kafka.consumer", "redis".</param>
    /// <param name="kind">a small fixed vocabulary, e.g. "handler", "consume", "redis_timeout".</param>
    public void RecordError(string component, string kind, long count = 1) =>
        _errors.Add(count, new KeyValuePair<string, object?>("component", component), new KeyValuePair<string, object?>("kind", kind));

    private static IEnumerable<Measurement<long>> ObserveLag(KafkaConsumerRegistry consumers)
    {
        foreach (var consumer in consumers.Consumers)
        foreach (var (tp, lag) in consumer.Lag)
            yield return new Measurement<long>(lag,
                new KeyValuePair<string, object?>("consumer", consumer.Name),
                new KeyValuePair<string, object?>("topic", tp.Topic),
                new KeyValuePair<string, object?>("partition", tp.Partition.Value));
    }
}
