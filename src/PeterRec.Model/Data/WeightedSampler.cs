namespace PeterRec.Model.Data;

/// <summary>Draws an index with probability proportional to fixed weights (cumulative sums + binary search).</summary>
internal sealed class WeightedSampler
{
    private readonly double[] _cumulative;

    public WeightedSampler(IReadOnlyList<double> weights)
    {
        if (weights.Count == 0) throw new ArgumentException("need at least one weight", nameof(weights));
        _cumulative = new double[weights.Count];
        var sum = 0.0;
        for (var i = 0; i < weights.Count; i++)
        {
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i])) throw new ArgumentException($"weight {i} is {weights[i]}", nameof(weights));
            sum += weights[i];
            _cumulative[i] = sum;
        }
        if (!(sum > 0)) throw new ArgumentException("weights sum to zero", nameof(weights));
    }

    public int Count => _cumulative.Length;

    public int Sample(Random rng)
    {
        var u = rng.NextDouble() * _cumulative[^1];
        var i = Array.BinarySearch(_cumulative, u);
        if (i < 0) i = ~i;
        // Bucket i covers [cum[i-1], cum[i]): an exact hit on a boundary, or a run of zero-weight
        // buckets sharing it, belongs to the next bucket with weight.
        while (i < _cumulative.Length - 1 && _cumulative[i] <= u) i++;
        return i;
    }

    /// <summary>Zipf weights 1/(rank+1)^s for ranks 0..n-1.</summary>
    public static double[] Zipf(int n, double s)
    {
        var w = new double[n];
        for (var r = 0; r < n; r++) w[r] = 1.0 / Math.Pow(r + 1, s);
        return w;
    }
}
