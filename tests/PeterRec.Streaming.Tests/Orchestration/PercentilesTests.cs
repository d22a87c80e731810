using PeterRec.Orchestration;

namespace PeterRec.Streaming.Tests.Orchestration;

public sealed class PercentilesTests
{
    [Fact]
    public void Exact_quantiles_interpolate_between_closest_ranks()
    {
        double[] sorted = [10, 20, 30, 40];
        Assert.Equal(10, Percentiles.Of(sorted, 0));
        Assert.Equal(40, Percentiles.Of(sorted, 1));
        Assert.Equal(25, Percentiles.Of(sorted, 0.5));
        // h = 3 * 0.99 = 2.97: 30 + 0.97 * 10.
        Assert.Equal(39.7, Percentiles.Of(sorted, 0.99)!.Value, 9);
        Assert.Equal(7, Percentiles.Of([7], 0.99));
        Assert.Null(Percentiles.Of([], 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of(sorted, 1.5));
    }

    [Fact]
    public void Summary_freshness_sorts_unordered_samples()
    {
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).Reverse();
        var f = RunSummary.Freshness(samples);
        Assert.Equal(50.5, f.P50);
        Assert.Equal(99.0, f.P99);
        Assert.Equal(100, f.Max);
        Assert.Equal(100, f.Samples);
        Assert.Equal("exact", f.Source);
        Assert.Null(RunSummary.Freshness([]).P99);
    }

    [Fact]
    public void Bucket_rank_in_the_inf_bucket_returns_the_highest_finite_bound()
    {
        (double, double)[] buckets = [(1, 5), (2, 8), (double.PositiveInfinity, 10)];
        Assert.Equal(2, Percentiles.FromCumulativeBuckets(buckets, 0.95));
        Assert.Null(Percentiles.FromCumulativeBuckets([(1, 0), (double.PositiveInfinity, 0)], 0.5));
    }
}
