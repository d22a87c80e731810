using System.CommandLine;
using PeterRec.Chaos;

namespace PeterRec.Cli.Commands;

/// <summary>
/// <c>peterrec chaos</c>: the pipeline under load with faults (kill -9 of random roles, a Redis outage, broker errors,
/// poison records), then an audit of Redis and the dead-letter topic against the topics. Exit 0 only when nothing was
/// lost or duplicated and every poison record was dead-lettered. <c>--soak-seconds</c> runs a long steady load with
/// no faults and reports RSS per role.
/// </summary>
public static class ChaosCommand
{
    public static Command Create()
    {
        var d = new ChaosSettings();
        var workDir = new Option<string>("--work-dir") { Description = "Logs, Redis AOF, backbone, checkpoints (wiped first; a failed run's is kept as <dir>-failed-<utc time>)", DefaultValueFactory = _ => d.WorkDir }.OutputDirectory();
        var seconds = new Option<int>("--seconds") { Description = "Seconds of load during which faults are injected", DefaultValueFactory = _ => d.Seconds }.AtLeast(1);
        var rate = new Option<double>("--rate") { Description = "Clicks per second", DefaultValueFactory = _ => d.Rate }.Above(0);
        var users = new Option<int>("--users") { Description = "Distinct users", DefaultValueFactory = _ => d.Users }.AtLeast(1);
        var kills = new Option<int>("--kills") { Description = "kill -9 of a random role at random moments", DefaultValueFactory = _ => d.Kills }.AtLeast(0);
        var roles = new Option<string>("--roles") { Description = "Comma-separated roles to run and kill: ingest,train,serve", DefaultValueFactory = _ => string.Join(',', d.Roles) }
            .Must(v => v.Split(',', StringSplitOptions.TrimEntries) is { Length: > 0 } rs && rs.All(x => x is "ingest" or "train" or "serve"), "a comma-separated subset of ingest,train,serve");
        var outage = new Option<int>("--redis-outage-seconds") { Description = "Kill redis-server mid-stream for this long, then restart it (0 = none)" }.AtLeast(0);
        var broker = new Option<bool>("--broker-errors") { Description = "Inject broker request errors and take the broker down for 3 s" };
        var poison = new Option<int>("--poison-every") { Description = "One poison record per this many clicks (0 = none)", DefaultValueFactory = _ => d.PoisonEvery }.AtLeast(0);
        var window = new Option<int>("--window-size") { Description = "Ingest window size", DefaultValueFactory = _ => d.WindowSize }.AtLeast(1);
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic", DefaultValueFactory = _ => d.Partitions }.Between(1, 10_000);
        var drain = new Option<int>("--drain-seconds") { Description = "Most seconds to wait for the audit to come out clean after the load", DefaultValueFactory = _ => d.DrainSeconds }.AtLeast(1);
        var soak = new Option<int>("--soak-seconds") { Description = "Soak: this many seconds of steady load, no faults; reports RSS per role (overrides --seconds, --kills)" }.AtLeast(0);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => d.Seed };
        var replicas = new Option<int>("--replicas") { Description = "Instances each of ingest and serve (one group per role); 2+ also scales each up and down during the load", DefaultValueFactory = _ => d.Replicas }.Between(1, 64);
        var redisCluster = new Option<bool>("--redis-cluster") { Description = "Run on a private Redis Cluster (3 masters + 3 replicas) and kill -9 one master mid-run" };
                var report = new Option<string?>("--report") { Description = "Also write the figures as JSON to this file" }.OutputFile();
        var cmd = new Command("chaos", "Run the pipeline under load with kill -9, Redis and broker outages and poison records; audit for loss and duplicates")
        {
            workDir, seconds, rate, users, kills, roles, outage, broker, poison, window, partitions, drain, soak, seed, report, replicas, redisCluster,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var soakSeconds = r.GetValue(soak);
            var settings = new ChaosSettings
            {
                WorkDir = r.GetValue(workDir)!, Seconds = soakSeconds > 0 ? soakSeconds : r.GetValue(seconds), Rate = r.GetValue(rate),
                Users = r.GetValue(users), Kills = soakSeconds > 0 ? 0 : r.GetValue(kills),
                Roles = [.. r.GetValue(roles)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                RedisOutageSeconds = soakSeconds > 0 ? 0 : r.GetValue(outage), BrokerErrors = soakSeconds == 0 && r.GetValue(broker),
                PoisonEvery = r.GetValue(poison), WindowSize = r.GetValue(window), Partitions = r.GetValue(partitions),
                DrainSeconds = r.GetValue(drain), Seed = r.GetValue(seed), ReportFile = r.GetValue(report),
                RssSampleSeconds = soakSeconds > 0 ? 10 : 5, Replicas = r.GetValue(replicas), RedisCluster = r.GetValue(redisCluster),
            };
            if (settings.Validate().FirstOrDefault() is { } problem)
            {
                Console.Error.WriteLine(problem);
                return 2;
            }
            if (settings.Roles.Count == 0 || settings.Roles.Any(x => x is not ("ingest" or "train" or "serve")))
            {
                Console.Error.WriteLine($"--roles: expected a comma-separated subset of ingest,train,serve, got '{r.GetValue(roles)}'");
                return 2;
            }
            var result = await new ChaosRunner(settings, m => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {m}")).RunAsync(ct);
            Console.WriteLine(result.ToTable());
            if (settings.ReportFile is { } file) await File.WriteAllTextAsync(file, result.ToJson(), ct);
            return result.Passed ? 0 : 1;
        });
        return cmd;
    }
}
