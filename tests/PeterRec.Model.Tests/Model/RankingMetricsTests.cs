using PeterRec.Model.Evaluation;

namespace PeterRec.Model.Tests.Model;

public class RankingMetricsTests
{
    [Fact]
    public void Metrics_follow_the_paper_definitions()
    {
        var m = new RankingMetrics();
        m.AddRank(0); m.AddRank(2); m.AddRank(7);
        Assert.Equal((1 + 1 / 3.0) / 3, m.Mrr, 10);
        Assert.Equal(2 / 3.0, m.Hr, 10);
        Assert.Equal((1 + 1 / Math.Log2(4)) / 3, m.Ndcg, 10);
        Assert.Equal(1 / 3.0, m.Accuracy, 10);
    }

    [Fact]
    public void Ties_count_against_the_positive()
    {
        // A model that scores everything the same must not look perfect.
        Assert.Equal(3, RankingMetrics.RankOf(0.5f, [0.5f, 0.5f, 0.5f]));
        Assert.Equal(1, RankingMetrics.RankOf(0.5f, [0.1f, 0.9f, 0.2f]));
        Assert.Equal(3, RankingMetrics.RankOf(float.NaN, [0.1f, 0.9f, 0.2f]));
    }
}
