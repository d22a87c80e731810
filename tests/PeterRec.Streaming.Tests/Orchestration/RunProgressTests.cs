using PeterRec.Orchestration;

namespace PeterRec.Streaming.Tests.Orchestration;

public sealed class RunProgressTests
{
    private const string Trainer = """
        peterrec_trainer_prequential_ratio{task="rec",metric="hr_5",over="window"} 0.6
        peterrec_trainer_prequential_ratio{task="rec",metric="hr_5",over="total"} 0.45
        peterrec_trainer_prequential_ratio{task="rec",metric="mrr_5",over="window"} 0.3
        peterrec_trainer_baseline_ratio{task="rec",metric="hr_5",over="window"} 0.2
        peterrec_trainer_baseline_ratio{task="rec",metric="hr_5",over="total"} 0
        peterrec_trainer_lift_ratio{task="rec",metric="hr_5",over="window"} 3

        """;

    [Fact]
    public void Progress_reads_the_model_the_popularity_baseline_and_their_lift_from_the_trainer()
    {
        var trainer = new MetricsSnapshot(PrometheusText.Parse(Trainer));
        var p = RunProgress.From(TimeSpan.FromSeconds(1), new ReplayStream("unused.csv", "rec", "u", 0, 0, 0), false, "rec", "hr_5",
            MetricsSnapshot.Empty, trainer, MetricsSnapshot.Empty, null);
        Assert.Equal(0.6, p.PrequentialWindow);
        Assert.Equal(0.2, p.BaselineWindow);
        Assert.Equal(3.0, p.Lift!.Value, 10);
        // A baseline of 0 has no ratio.
        Assert.Equal(0, p.BaselineTotal);
        Assert.Null(p.LiftTotal);
    }

    [Fact]
    public void The_run_summary_json_carries_the_baseline_and_the_lift()
    {
        var summary = new RunSummary(new ProducedCounts(1, 1, 2), 1, 0, 1, 0, 1, 1, 1, 1,
            new PrequentialSummary("hr_5", 100, null, new PrequentialPoint(0.6, 10), 0.5, new BaselineSummary("popularity", 0.2, 0.25), 3.0, 2.0),
            new FreshnessSummary(null, null, null, 0, "exact"), 0, 1, 1, true, "bb", "work");
        var json = summary.ToJson();
        Assert.Contains("\"baseline\": {", json);
        Assert.Contains("\"name\": \"popularity\"", json);
        Assert.Contains("\"lift\": 3", json);
        Assert.Contains("\"lift_total\": 2", json);
        Assert.Equal(summary.Prequential, RunSummary.FromJson(json).Prequential);
    }
}
