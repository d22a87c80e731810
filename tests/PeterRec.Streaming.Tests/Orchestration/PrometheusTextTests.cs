using PeterRec.Orchestration;

namespace PeterRec.Streaming.Tests.Orchestration;

public sealed class PrometheusTextTests
{
    private const string Scrape = """
        # HELP peterrec_ingest_events_total Valid clicks handled
        # TYPE peterrec_ingest_events_total counter
        peterrec_ingest_events_total{otel_scope_name="PeterRec",outcome="applied"} 1200 1718000000000
        peterrec_ingest_events_total{otel_scope_name="PeterRec",outcome="redelivered"} 7
        peterrec_kafka_consumer_lag{consumer="ingest",partition="0",topic="peterrec.clicks"} 3
        peterrec_kafka_consumer_lag{consumer="ingest",partition="1",topic="peterrec.clicks"} 4
        peterrec_odd{path="a\"b\\c,d}",empty=""} -1.5e-3
        peterrec_x_bucket{le="0.1"} 10
        peterrec_x_bucket{le="0.5"} 30
        peterrec_x_bucket{le="1"} 40
        peterrec_x_bucket{le="+Inf"} 40
        up 1

        """;

    [Fact]
    public void Parses_labels_values_and_skips_comments()
    {
        var samples = PrometheusText.Parse(Scrape);
        Assert.Equal(10, samples.Count);
        var odd = samples.Single(s => s.Name == "peterrec_odd");
        Assert.Equal("a\"b\\c,d}", odd.Labels["path"]);
        Assert.Equal("", odd.Labels["empty"]);
        Assert.Equal(-0.0015, odd.Value, 10);
        Assert.Empty(samples.Single(s => s.Name == "up").Labels);
    }

    [Fact]
    public void Sums_counters_over_matching_series_only()
    {
        var m = new MetricsSnapshot(PrometheusText.Parse(Scrape));
        Assert.Equal(1200, m.Sum("peterrec_ingest_events_total", ("outcome", "applied")));
        Assert.Equal(1207, m.Sum("peterrec_ingest_events_total"));
        Assert.Equal(7, m.Sum("peterrec_kafka_consumer_lag"));
        Assert.Equal(0, m.Sum("peterrec_missing_total"));
        Assert.Null(m.Max("peterrec_missing"));
        Assert.Equal(4, m.Max("peterrec_kafka_consumer_lag"));
    }

    [Fact]
    public void Histogram_quantile_interpolates_inside_the_bucket()
    {
        var m = new MetricsSnapshot(PrometheusText.Parse(Scrape));
        // Rank 20 of 40 lies halfway through the (0.1, 0.5] bucket (counts 10 -> 30).
        Assert.Equal(0.3, m.HistogramQuantile("peterrec_x", 0.5)!.Value, 9);
        // Rank 4 of 40 lies 40 % into the first bucket, whose lower bound is 0.
        Assert.Equal(0.04, m.HistogramQuantile("peterrec_x", 0.1)!.Value, 9);
        Assert.Null(m.HistogramQuantile("peterrec_none", 0.5));
    }

    [Theory]
    [InlineData("peterrec_x{le=\"1\" 3")]
    [InlineData("peterrec_x{le=1} 3")]
    [InlineData("peterrec_x 3 4 5")]
    [InlineData("peterrec_x abc")]
    public void Malformed_lines_are_errors_naming_the_line(string line)
    {
        var e = Assert.Throws<FormatException>(() => PrometheusText.Parse("# ok\n" + line + "\n"));
        Assert.Contains("line 2", e.Message);
    }
}
