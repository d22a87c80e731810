using PeterRec.Orchestration;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Orchestration;

/// <summary>The <c>peterrec run</c> flow at a tiny size: real child processes (dev broker, pretrain, ingest, train, serve).</summary>
[Collection(StreamingCollection.Name)]
public sealed class RunPipelineTests(RedisFixture redis) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-run-{Guid.NewGuid():N}");

    [Fact(Timeout = 120_000)]
    public async Task Tiny_run_ingests_every_click_trains_every_label_and_serves_recs()
    {
        var summaryFile = Path.Combine(_dir, "summary.json");
        var settings = new RunSettings
        {
            WorkDir = _dir, Redis = redis.Configuration, KeyPrefix = RedisFixture.UniquePrefix(),
            PretrainUsers = 150, StreamUsers = 60, PretrainEpochs = 1, Channels = 16,
            Rate = 400, PublishEverySteps = 1, PrequentialWindow = 40, DrainTimeout = TimeSpan.FromSeconds(40),
            SummaryFile = summaryFile,
        };
        var code = await LocalRun.RunAsync(settings, CancellationToken.None);

        var s = RunSummary.FromJson(await File.ReadAllTextAsync(summaryFile, CancellationToken.None));
        Assert.True(s.Drained, "the roles did not catch up");
        Assert.Equal(0, code);
        Assert.True(s.EventsProduced.Clicks > 500 && s.EventsProduced.TaskEvents > 40, $"stream too small: {s.EventsProduced}");
        Assert.Equal(s.EventsProduced.Clicks, s.EventsIngested);
        // Every label is either trained on or held back for the publish gate (every 20th by default).
        Assert.Equal(s.EventsProduced.TaskEvents, s.LabelsTrained + s.LabelsHeldOut);
        Assert.InRange(s.LabelsHeldOut, 1, s.EventsProduced.TaskEvents / 10);
        Assert.True(s.PatchVersions >= 1, "no patch version was published");
        Assert.True(s.UsersWithRecs > 0 && s.UsersWithRecs <= 60, $"users with recs: {s.UsersWithRecs}");
        Assert.NotNull(s.Prequential.Last);
        Assert.InRange(s.Prequential.Last!.Value, 0, 1);
        Assert.Equal("exact", s.FreshnessMs.Source);
        Assert.True(s.FreshnessMs.Samples > 0, "no recommendation write was observed");
        Assert.True(s.FreshnessMs.P50 <= s.FreshnessMs.P99 && s.FreshnessMs.P99 <= s.FreshnessMs.Max);
        // Every click write carries its trace (Ingest stamps its announcements), so every stage has a sample per write.
        Assert.Equal(FreshnessProbe.Stages, s.FreshnessStagesMs!.Select(x => x.Stage));
        Assert.All(s.FreshnessStagesMs!, x => Assert.Equal(s.FreshnessMs.Samples, x.Samples));
        Assert.All(s.FreshnessStagesMs!, x => Assert.True(x.P50 >= 0 && x.P50 <= x.P99 && x.P99 <= x.Max, $"{x}"));
        // The dev broker removes its bootstrap file only on a graceful stop (SIGTERM), not when killed.
        Assert.False(File.Exists(Path.Combine(_dir, "kafka.bootstrap")));
        Assert.True(File.Exists(Path.Combine(_dir, "logs", "ingest.log")));
    }

    [Fact]
    public async Task A_backbone_without_config_is_refused_before_anything_starts()
    {
        var settings = new RunSettings { WorkDir = _dir, Backbone = Path.Combine(_dir, "nope") };
        Assert.Equal(2, await LocalRun.RunAsync(settings, CancellationToken.None));
        Assert.False(Directory.Exists(_dir));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
