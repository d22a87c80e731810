using System.CommandLine;
using System.Text.Json;
using PeterRec.Bench;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec bench-pipeline --stage ingest|serve|freshness</c>: see <see cref="PipelineBench"/>; prints one JSON line.</summary>
public static class BenchPipelineCommand
{
    public static Command Create()
    {
        var stage = new Option<string>("--stage") { Description = "ingest (events/s into Redis), serve (users/s), freshness (click -> recs at --rate)", DefaultValueFactory = _ => "ingest" };
        var rate = new Option<double>("--rate") { Description = "freshness: offered events/s", DefaultValueFactory = _ => 2000 };
        var backbone = new Option<string?>("--backbone") { Description = "serve, freshness: backbone directory (default: the one `peterrec run` pretrained)" }.ExistingDirectory();
        var threads = new Option<int>("--threads") { Description = "serve: libtorch threads of Serving", DefaultValueFactory = _ => 1 }.Between(0, 1024);
        var events = new Option<int>("--events") { Description = "Clicks per run", DefaultValueFactory = _ => 200_000 }.AtLeast(1);
        var users = new Option<int>("--users") { Description = "Distinct users", DefaultValueFactory = _ => 10_000 }.AtLeast(1);
        var runs = new Option<int>("--runs") { Description = "Runs; the median is reported", DefaultValueFactory = _ => 3 }.AtLeast(1);
        var partitions = new Option<int>("--partitions") { Description = "Clicks topic partitions", DefaultValueFactory = _ => 4 }.Between(1, 10_000);
        var window = new Option<int>("--window-size") { Description = "Clicks kept per user", DefaultValueFactory = _ => 50 }.AtLeast(1);
        var redis = new Option<string?>("--redis") { Description = "Redis HOST:PORT (default: PETERREC_TEST_REDIS, else a private redis-server)" };
        var cmd = new Command("bench-pipeline", "Measure a streaming stage end to end and print one JSON line")
        {
            stage, events, users, runs, partitions, window, redis, rate, backbone, threads,
        };
        cmd.AddCheck(r =>
        {
            if (r.GetValue(stage) is { } s && s is not ("ingest" or "serve" or "freshness")) r.AddError($"--stage '{s}': expected ingest, serve or freshness");
            // Unspecified options read as 0 here (defaults apply later): only an explicit rate is checked.
            if (r.GetResult(rate) is { Implicit: false } && r.GetValue(rate) <= 0) r.AddError("--rate must be > 0");
        });
        cmd.SetAction(async (r, ct) =>
        {
            var settings = new PipelineBenchSettings(r.GetValue(stage)!, r.GetValue(events), r.GetValue(users), r.GetValue(runs),
                r.GetValue(partitions), r.GetValue(window), r.GetValue(redis), r.GetValue(rate), r.GetValue(backbone), r.GetValue(threads),
                // --users is the stream's user count for freshness only when given; the default suits the ingest stage.
                r.GetResult(users) is { Implicit: false } ? r.GetValue(users) : null);
            try
            {
                var (result, ok) = await PipelineBench.RunAsync(settings, line => Console.Error.WriteLine($"bench-pipeline: {line}"), ct);
                Console.WriteLine(JsonSerializer.Serialize(result));
                return ok ? 0 : 1;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or TimeoutException)
            {
                await Console.Error.WriteLineAsync($"bench-pipeline: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
