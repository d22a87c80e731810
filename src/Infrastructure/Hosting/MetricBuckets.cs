namespace PeterRec.Hosting;

/// <summary>
/// Histogram bucket boundaries shared by the roles. OpenTelemetry's default boundaries (0, 5, 10, 25, ... 10000) are
/// meant for milliseconds; in seconds every sub-second observation lands in the first bucket and
/// <c>histogram_quantile</c> reads ~4.75 s for a p95 whatever the truth is.
/// </summary>
public static class MetricBuckets
{
    /// <summary>(s) 1 ms to 1 min, dense below a second where our latencies live; used for every duration histogram
    /// that names no boundaries of its own (a view in <see cref="ServiceDefaults"/>).</summary>
    public static readonly double[] Seconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
}
