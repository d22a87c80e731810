using System.Diagnostics.Metrics;
using PeterRec.Hosting;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// Redis commands on the shared <c>PeterRec</c> meter: the latency of every attempt, errors by kind and the retries
/// the write pipeline takes. Labels: <c>operation</c> (write), <c>outcome</c> (ok, error), <c>kind</c>; never keys or
/// user ids. The error and retry counters start at zero for every kind so that <c>rate()</c> and alerts see them from
/// the first scrape, not only after the first failure.
/// </summary>
public sealed class RedisMetrics
{
    /// <summary>The <c>kind</c> vocabulary of <c>peterrec.redis.command.errors</c>.</summary>
    public static readonly string[] ErrorKinds = ["timeout", "connection", "server", "other"];

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _retries;

    public RedisMetrics(PeterRecMetrics shared)
    {
        var meter = shared.Meter;
        _duration = meter.CreateHistogram("peterrec.redis.command.duration", "s", "Time of one attempt of a Redis command (a pipelined batch counts once)",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MetricBuckets.Seconds });
        _errors = meter.CreateCounter<long>("peterrec.redis.command.errors", "{error}", "Failed attempts of Redis commands, by kind");
        _retries = meter.CreateCounter<long>("peterrec.redis.command.retries", "{retry}", "Retries of failed Redis commands");
        foreach (var kind in ErrorKinds) _errors.Add(0, Operation(Write), Kind(kind));
        _retries.Add(0, Operation(Write));
    }

    public const string Write = "write";

    public void RecordAttempt(string operation, TimeSpan duration, Exception? error)
    {
        _duration.Record(duration.TotalSeconds, Operation(operation), new KeyValuePair<string, object?>("outcome", error is null ? "ok" : "error"));
        if (error is not null) _errors.Add(1, Operation(operation), Kind(Classify(error)));
    }

    public void RecordRetry(string operation) => _retries.Add(1, Operation(operation));

    public static string Classify(Exception e) => e switch
    {
        RedisTimeoutException or TimeoutException => "timeout",
        RedisConnectionException => "connection",
        RedisServerException => "server",
        _ => "other",
    };

    private static KeyValuePair<string, object?> Operation(string operation) => new("operation", operation);

    private static KeyValuePair<string, object?> Kind(string kind) => new("kind", kind);
}
