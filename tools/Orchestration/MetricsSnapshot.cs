namespace PeterRec.Orchestration;

/// <summary>One scrape of a role's /metrics, with the queries the run needs (sums over labels, histogram quantiles).</summary>
public sealed class MetricsSnapshot(IReadOnlyList<MetricSample> samples)
{
    public static readonly MetricsSnapshot Empty = new([]);

    public IReadOnlyList<MetricSample> Samples { get; } = samples;

    /// <summary>Sum over every series of <paramref name="name"/> that matches the filter; 0 if there is none.</summary>
    public double Sum(string name, params (string Key, string Value)[] filter) =>
        Samples.Where(s => s.Name == name && s.Matches(filter)).Sum(s => s.Value);

    /// <summary>The largest value of a gauge over its matching series, or null if none is exposed yet.</summary>
    public double? Max(string name, params (string Key, string Value)[] filter)
    {
        var values = Samples.Where(s => s.Name == name && s.Matches(filter)).Select(s => s.Value).ToList();
        return values.Count == 0 ? null : values.Max();
    }

    public bool Has(string name) => Samples.Any(s => s.Name == name);

    /// <summary>
    /// Quantile of a histogram from its cumulative <c>_bucket</c> series (summed over other labels), linearly
    /// interpolated inside the bucket like PromQL's histogram_quantile. Null without observations. Only as exact as
    /// the bucket boundaries; the run prefers exact observations where it has them.
    /// </summary>
    public double? HistogramQuantile(string baseName, double q)
    {
        var buckets = Samples.Where(s => s.Name == baseName + "_bucket" && s.Labels.ContainsKey("le"))
            .GroupBy(s => PrometheusLe(s.Labels["le"]))
            .Select(g => (Le: g.Key, Count: g.Sum(s => s.Value)))
            .OrderBy(b => b.Le).ToList();
        return Percentiles.FromCumulativeBuckets(buckets, q);
    }

    private static double PrometheusLe(string le) =>
        le is "+Inf" or "Inf" ? double.PositiveInfinity : double.Parse(le, System.Globalization.CultureInfo.InvariantCulture);
}
