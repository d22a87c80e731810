namespace PeterRec.Orchestration;

/// <summary>Quantiles of exact samples and of cumulative histogram buckets.</summary>
public static class Percentiles
{
    /// <summary>
    /// Linear interpolation between closest ranks (the "type 7" estimator of R/NumPy): q = 0 is the minimum, q = 1 the
    /// maximum, and the median of an even count is the mean of the middle two. Null for no samples.
    /// </summary>
    public static double? Of(IReadOnlyList<double> sorted, double q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1.0);
        if (sorted.Count == 0) return null;
        var h = (sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>
    /// PromQL histogram_quantile: find the bucket holding rank q * total and interpolate linearly from its lower bound
    /// (0 for the first bucket). If the rank falls in the +Inf bucket the highest finite bound is returned.
    /// </summary>
    public static double? FromCumulativeBuckets(IReadOnlyList<(double Le, double Count)> buckets, double q)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1.0);
        if (buckets.Count == 0) return null;
        var total = buckets[^1].Count;
        if (total <= 0) return null;
        var rank = q * total;
        double lowerBound = 0, lowerCount = 0;
        foreach (var (le, count) in buckets)
        {
            if (count >= rank && count > lowerCount)
            {
                if (double.IsPositiveInfinity(le)) return lowerBound;
                return lowerBound + (le - lowerBound) * (rank - lowerCount) / (count - lowerCount);
            }
            lowerBound = le;
            lowerCount = count;
        }
        return lowerBound;
    }
}
