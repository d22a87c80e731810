using System.Diagnostics.Metrics;
using PeterRec.Hosting;

namespace PeterRec.Kafka;

/// <summary>
/// The consume loops' instruments on the shared <c>PeterRec</c> meter: records handled, batch size and duration, and
/// the lag of every registered consumer. Labels: consumer name, topic, partition; never user ids.
/// </summary>
public sealed class KafkaMetrics
{
    private readonly Counter<long> _consumed;
    private readonly Histogram<long> _batchSize;
    private readonly Histogram<double> _batchDuration;

    public KafkaMetrics(PeterRecMetrics shared, KafkaConsumerRegistry consumers)
    {
        Shared = shared;
        var meter = shared.Meter;
        _consumed = meter.CreateCounter<long>("peterrec.kafka.consumed", "{message}", "Records handled and their offsets stored");
        _batchSize = meter.CreateHistogram("peterrec.kafka.batch.size", "{message}", "Records per handled batch",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 10, 100, 500, 1000, 2000, 5000, 10_000, 50_000] });
        _batchDuration = meter.CreateHistogram("peterrec.kafka.batch.duration", "s", "Time to handle one batch until its effect is durable",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        meter.CreateObservableGauge("peterrec.kafka.consumer.lag", () => ObserveLag(consumers), "{message}",
            "High watermark minus consumer position per assigned partition");
        meter.CreateObservableGauge("peterrec.kafka.consumer.assigned", () => ObserveAssignment(consumers), "{partition}",
            "1 per partition assigned to this process now (from the moment of assignment, before any lag is known)");
    }

    /// <summary>The shared instruments (<c>peterrec.errors</c>).</summary>
    public PeterRecMetrics Shared { get; }

    public void RecordBatch(string consumer, int size, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("consumer", consumer);
        _batchSize.Record(size, tag);
        _batchDuration.Record(duration.TotalSeconds, tag);
    }

    public void RecordConsumed(string consumer, string topic, long count) =>
        _consumed.Add(count, new KeyValuePair<string, object?>("consumer", consumer), new KeyValuePair<string, object?>("topic", topic));

    public void RecordError(string component, string kind, long count = 1) => Shared.RecordError(component, kind, count);

    private static IEnumerable<Measurement<long>> ObserveAssignment(KafkaConsumerRegistry consumers)
    {
        foreach (var consumer in consumers.Consumers)
        foreach (var tp in consumer.Assignment)
            yield return new Measurement<long>(1,
                new KeyValuePair<string, object?>("consumer", consumer.Name),
                new KeyValuePair<string, object?>("topic", tp.Topic),
                new KeyValuePair<string, object?>("partition", tp.Partition.Value));
    }

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
