namespace PeterRec.Model.Evaluation;

/// <summary>
/// Top-5 ranking metrics as in the paper (§4.3): the positive's rank among candidates, ties counted
/// against the positive so a model that scores everything equally earns nothing.
/// </summary>
public sealed class RankingMetrics
{
    public const int K = 5;
    private double mrr, hr, ndcg;
    private long count, correct;

    public long Count => count;
    public double Mrr => count == 0 ? 0 : mrr / count;
    public double Hr => count == 0 ? 0 : hr / count;
    public double Ndcg => count == 0 ? 0 : ndcg / count;
    public double Accuracy => count == 0 ? 0 : (double)correct / count;

    /// <summary>Adds one positive given how many candidates scored at least as high (0 = ranked first).</summary>
    public void AddRank(long rank)
    {
        count++;
        if (rank == 0) correct++;
        if (rank >= K) return;
        mrr += 1.0 / (rank + 1);
        hr += 1;
        ndcg += 1.0 / Math.Log2(rank + 2);
    }

    /// <summary>Rank of <paramref name="positive"/> among <paramref name="negatives"/>, ties pessimistic.</summary>
    public static long RankOf(float positive, ReadOnlySpan<float> negatives)
    {
        long rank = 0;
        foreach (var s in negatives) if (s >= positive || float.IsNaN(s)) rank++;
        return float.IsNaN(positive) ? negatives.Length : rank;
    }

    public void Merge(RankingMetrics other)
    {
        mrr += other.mrr; hr += other.hr; ndcg += other.ndcg; count += other.count; correct += other.correct;
    }
}
