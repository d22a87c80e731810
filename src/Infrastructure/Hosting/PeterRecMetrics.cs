using System.Diagnostics.Metrics;

namespace PeterRec.Hosting;

/// <summary>
/// The <c>PeterRec</c> Meter every role's instruments live on, and the one instrument every component shares:
/// <c>peterrec.errors{component, kind}</c>. Concerns add their own instruments with <see cref="Meter"/> (Kafka:
/// <c>KafkaMetrics</c>; each role its own). Labels are low-cardinality only, never user ids.
/// </summary>
public sealed class PeterRecMetrics
{
    public const string MeterName = "PeterRec";

    private readonly Counter<long> _errors;

    public PeterRecMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(MeterName);
        _errors = Meter.CreateCounter<long>("peterrec.errors", "{error}", "Errors by component and kind");
    }

    /// <summary>The shared <c>PeterRec</c> meter, for concern- and role-specific instruments.</summary>
    public Meter Meter { get; }

    /// <param name="component">e.g. "ingest", "kafka.consumer", "redis".</param>
    /// <param name="kind">a small fixed vocabulary, e.g. "handler", "consume", "redis_timeout".</param>
    public void RecordError(string component, string kind, long count = 1) =>
        _errors.Add(count, new KeyValuePair<string, object?>("component", component), new KeyValuePair<string, object?>("kind", kind));
}
