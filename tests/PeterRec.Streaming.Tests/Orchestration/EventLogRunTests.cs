using System.Text;
using PeterRec.Contracts;
using PeterRec.Orchestration;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;

namespace PeterRec.Streaming.Tests.Orchestration;

/// <summary><c>peterrec run --events --labels</c>: a user's own click log and labels through the online loop.</summary>
[Collection(StreamingCollection.Name)]
public sealed class EventLogRunTests(RedisFixture redis) : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-run-events-{Guid.NewGuid():N}");
    private readonly TinyBackbone _backbone = new();

    /// <remarks>Starts a dev broker, Ingest, Trainer and Serving as child processes (~30-60 s under load): the only way to
    /// show the whole replay path; kept to 30 users.</remarks>
    [Fact(Timeout = 180_000)]
    public async Task A_replayed_click_log_and_labels_end_with_windows_and_recs_for_their_users()
    {
        Directory.CreateDirectory(_dir);
        var clicks = new StringBuilder("user_id,item_id,timestamp\n");
        var labels = new StringBuilder("user,label,ts\n");
        var rng = new Random(3);
        const long t0 = 1_750_000_000;  // unix seconds
        for (int u = 0; u < 30; u++)
        {
            var items = Enumerable.Range(0, 6).Select(_ => TinyBackbone.Item(rng.Next(TinyBackbone.SourceItems))).ToList();
            for (int i = 0; i < items.Count; i++) clicks.Append($"user{u},{items[i]},{t0 + u * 10 + i}\n");
            // Two labels per user, each after some of the user's clicks.
            labels.Append($"user{u},{SyntheticTaskStream.Label(items[2], 8)},{t0 + u * 10 + 2}\n");
            labels.Append($"user{u},{SyntheticTaskStream.Label(items[^1], 8)},{t0 + u * 10 + 9}\n");
            clicks.Append($"user{u},{items[0]},{t0 + 1000 + u}\n");
        }
        var clicksFile = Path.Combine(_dir, "clicks.csv");
        var labelsFile = Path.Combine(_dir, "labels.csv");
        await File.WriteAllTextAsync(clicksFile, clicks.ToString());
        await File.WriteAllTextAsync(labelsFile, labels.ToString());

        var prefix = RedisFixture.UniquePrefix();
        var summaryFile = Path.Combine(_dir, "summary.json");
        var settings = new RunSettings
        {
            WorkDir = Path.Combine(_dir, "work"), Redis = redis.Configuration, KeyPrefix = prefix, Backbone = _backbone.Dir,
            EventsFile = clicksFile, LabelsFile = labelsFile, Rate = 50, PublishEverySteps = 1, PrequentialWindow = 20,
            DrainTimeout = TimeSpan.FromSeconds(60), SummaryFile = summaryFile,
        };
        var code = await LocalRun.RunAsync(settings, CancellationToken.None);
        var s = RunSummary.FromJson(await File.ReadAllTextAsync(summaryFile));
        Assert.True(s.Drained, "the roles did not catch up");
        Assert.Equal(0, code);
        Assert.Equal(new ProducedCounts(210, 60, 270), s.EventsProduced);
        Assert.Equal(210, s.EventsIngested);
        // Every label found its clicks: each waited until Ingest had handled the clicks before it.
        Assert.Equal(60, s.LabelsTrained + s.LabelsHeldOut);
        Assert.True(s.PatchVersions >= 1, "no version was published");
        Assert.NotNull(s.Prequential.Baseline);

        var keys = new RedisKeys(prefix);
        var db = redis.Connection.GetDatabase();
        for (int u = 0; u < 30; u++) Assert.Equal(7, await db.ListLengthAsync(keys.Window($"user{u}")));
        // After the drain the run has Serving score every replayed user once, with the served version.
        for (int u = 0; u < 30; u++) Assert.True(await db.KeyExistsAsync(keys.Recs($"user{u}", "rec")), $"no recs for user{u}");
        Assert.Equal(30, s.UsersWithRecs);
    }

    public void Dispose()
    {
        _backbone.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
