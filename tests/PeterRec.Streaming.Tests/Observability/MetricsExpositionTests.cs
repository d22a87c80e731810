using System.Globalization;
using System.Text;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Orchestration;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;
using PeterRec.Streaming.Tests.Online;
using Xunit.Abstractions;
using static PeterRec.Streaming.Tests.Online.OnlineRuns;

namespace PeterRec.Streaming.Tests.Observability;

/// <summary>
/// Each role, run as its own <c>peterrec</c> process against the mock broker and Redis with traffic on every topic,
/// serves a <c>/metrics</c> that the real <c>promtool check metrics</c> accepts, with runtime and process metrics and
/// sub-second buckets on every duration histogram; together the roles export every series the Grafana dashboard and
/// the alert rules query.
/// </summary>
[Collection(StreamingCollection.Name)]
public sealed class MetricsExpositionTests(RedisFixture redis, ITestOutputHelper output) : IDisposable
{
    private readonly TinyBackbone _backbone = new();
    private readonly TestKafka _kafka = new(partitions: 2);
    private readonly string _prefix = RedisFixture.UniquePrefix();
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-metrics-{Guid.NewGuid():N}");

    /// <summary>Series every role must export: .NET runtime (GC, thread pool) and process (CPU, memory) metrics.</summary>
    private static readonly string[] RuntimeSeries =
    [
        "dotnet_gc_collections_total", "dotnet_gc_pause_time_seconds_total", "dotnet_thread_pool_thread_count_total",
        "dotnet_process_cpu_time_seconds_total", "dotnet_process_memory_working_set_bytes", "dotnet_process_cpu_available",
    ];

    [Fact(Timeout = 240_000)]
    public async Task Every_role_serves_promtool_clean_metrics_that_cover_every_series_of_the_dashboard_and_the_alerts()
    {
        var root = Scrapes.RepoRoot();
        var chart = Path.Combine(root, "deploy", "helm", "peterrec");
        var queried = new[] { Path.Combine(chart, "dashboards", "peterrec.json"), Path.Combine(chart, "alerts", "peterrec.rules.yaml"), Path.Combine(chart, "alerts", "peterrec.rules.test.yaml") }
            .SelectMany(f => Scrapes.Mentioned(File.ReadAllText(f))).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("peterrec_serving_freshness_seconds_bucket", queried);

        string[] common = ["--kafka", _kafka.Bootstrap, "--redis", redis.Configuration, "--key-prefix", _prefix];
        var env = new Dictionary<string, string> { ["PETERREC_Logging__LogLevel__Default"] = "Warning", ["PETERREC_Ingest__WindowSize"] = "3" };
        using var ingest = RoleProcess.Start("ingest", ["ingest", .. common], _dir, LoopbackPort.Free(), env);
        using var trainer = RoleProcess.Start("trainer", ["train", .. common, "--backbone", _backbone.Dir, "--task", "rec", "--checkpoint-dir", Path.Combine(_dir, "ckpt"),
            "--device", "cpu", "--threads", "1", "--micro-batch", "32", "--max-targets", "100", "--publish-every-steps", "1"], _dir, LoopbackPort.Free(), env);
        using var serving = RoleProcess.Start("serving", ["serve", .. common, "--backbone", _backbone.Dir, "--tasks", "rec", "--device", "cpu", "--threads", "1"],
            _dir, LoopbackPort.Free(), new Dictionary<string, string>(env) { ["PETERREC_Serving__PatchPollMs"] = "200" });
        RoleProcess[] roles = [ingest, trainer, serving];
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        async Task<string?> Scrape(RoleProcess role)
        {
            try { return await http.GetStringAsync($"http://127.0.0.1:{role.HttpPort}/metrics"); }
            catch (HttpRequestException) { return null; }
            catch (TaskCanceledException) { return null; }
        }

        // Traffic on every path: labelled events for the trainer (and one invalid: peterrec_errors_total), clicks for
        // ingest (one poison: a dead letter) whose changed users serving scores once a version is published.
        var db = redis.Connection.GetDatabase();
        var keys = new RedisKeys(_prefix);
        var rng = new Random(3);
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000;
        var events = new List<TaskEvent>();
        for (int u = 0; u < 40; u++)
        {
            var items = Enumerable.Range(0, 5).Select(_ => TinyBackbone.Item(rng.Next(TinyBackbone.SourceItems))).ToList();
            await WriteWindowAsync(db, keys, $"u{u}", items, t0);
            events.AddRange(Enumerable.Range(0, 4).Select(_ => new TaskEvent($"u{u}", "rec", SyntheticTaskStream.Label(items[^1], 20), t0 + 1000)));
        }
        await ProduceAsync(_kafka, _kafka.Topics.TaskEvents, events.Select(e => (e.User, e.ToJson())).Append(("u0", Encoding.UTF8.GetBytes("{not json"))));
        await _kafka.ProduceRawAsync("c-poison", Encoding.UTF8.GetBytes("{not json"));

        var scrapes = new Dictionary<string, string>();
        var round = 0;
        await Eventually.Async(async () =>
        {
            Assert.All(roles, r => Assert.False(r.HasExited, $"{r.Name} exited: {r.Tail()}"));
            // Paced: a round of clicks and scrapes every half second, not every 20 ms.
            if (round++ > 0) await Task.Delay(500);
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await _kafka.ProduceClicksAsync(Enumerable.Range(0, 5).Select(c => new ClickEvent($"c{c}", TinyBackbone.Item((c + round) % TinyBackbone.SourceItems), now)));
            foreach (var role in roles)
                if (await Scrape(role) is { } body) scrapes[role.Name] = body;
            var exported = scrapes.Values.SelectMany(Scrapes.SeriesNames).ToHashSet(StringComparer.Ordinal);
            return scrapes.Count == roles.Length && queried.All(exported.Contains)
                && roles.All(r => RuntimeSeries.All(Scrapes.SeriesNames(scrapes[r.Name]).Contains));
        }, TimeSpan.FromSeconds(180), () =>
        {
            var exported = scrapes.Values.SelectMany(Scrapes.SeriesNames).ToHashSet(StringComparer.Ordinal);
            var runtime = roles.Where(r => scrapes.ContainsKey(r.Name)).Select(r => $"{r.Name} lacks {string.Join(",", RuntimeSeries.Where(s => !Scrapes.SeriesNames(scrapes[r.Name]).Contains(s)))}");
            return $"scraped {string.Join(",", scrapes.Keys)}; not (yet) exported: {string.Join(", ", queried.Where(q => !exported.Contains(q)))}; {string.Join("; ", runtime)}\n"
                + string.Join("\n", roles.Select(r => $"--- {r.Name}\n{r.Tail()}"));
        });

        foreach (var role in roles)
        {
            var body = scrapes[role.Name];
            var (code, lint) = Scrapes.PromtoolCheck(body);
            output.WriteLine($"{role.Name}: {Scrapes.SeriesNames(body).Count} series, promtool check metrics exit {code}{(lint.Length > 0 ? ": " + lint : "")}");
            Assert.True(code == 0 && lint.Length == 0, $"promtool check metrics on {role.Name}'s /metrics (exit {code}):\n{lint}");
            // Every duration histogram resolves sub-second values: at least 6 boundaries below one second.
            foreach (var (family, bounds) in Scrapes.BucketBoundaries(body).Where(kv => kv.Key.EndsWith("_seconds", StringComparison.Ordinal)))
                Assert.True(bounds.Count(b => b < 1) >= 6, $"{role.Name}: {family} has boundaries {string.Join(",", bounds.Select(b => b.ToString(CultureInfo.InvariantCulture)))}");
        }
        Assert.Contains("peterrec_serving_forward_duration_seconds_bucket", Scrapes.SeriesNames(scrapes["serving"]));
        Assert.Contains("peterrec_trainer_checkpoint_duration_seconds_bucket", Scrapes.SeriesNames(scrapes["trainer"]));
        foreach (var role in new[] { "ingest", "serving" })
        {
            var names = Scrapes.SeriesNames(scrapes[role]);
            Assert.Contains("peterrec_redis_command_duration_seconds_bucket", names);
            Assert.Contains("peterrec_redis_command_errors_total", names);
            Assert.Contains("peterrec_redis_command_retries_total", names);
        }
        foreach (var role in roles) await role.StopAsync(TimeSpan.FromSeconds(10));
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _backbone.Dispose();
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }
}
