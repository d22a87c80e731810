using System.CommandLine;
using PeterRec.Orchestration;

namespace PeterRec.Cli.Commands;

/// <summary>
/// <c>peterrec run</c>: the whole system on one machine. Starts Redis and a dev broker unless given, pretrains a small
/// backbone on synthetic data unless given, runs Ingest, Trainer and Serving as child processes, replays a stream with
/// live progress, waits for the roles to catch up, prints a summary (JSON with <c>--summary FILE</c>), stops everything.
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var d = new RunSettings();
        var workDir = new Option<string>("--work-dir") { Description = "Logs, data, backbone, checkpoints, Redis files", DefaultValueFactory = _ => d.WorkDir }.OutputDirectory();
        var kafka = new Option<string?>("--kafka") { Description = "External Kafka bootstrap servers (default: start a dev broker)" };
        var redis = new Option<string?>("--redis") { Description = "External Redis HOST:PORT (default: start a private redis-server)" };
        var redisCluster = new Option<bool>("--redis-cluster") { Description = "Start a private Redis Cluster (3 masters + 3 replicas on loopback) instead of one redis-server" };
        var backbone = new Option<string?>("--backbone") { Description = "Pretrained backbone directory (default: pretrain a small one on synthetic data)" }.ExistingDirectory();
        var data = new Option<string?>("--data") { Description = "Fine-tune CSV to replay (default: the synthetic benchmark's rec.csv)" }.ExistingFile();
        var task = new Option<string>("--task") { Description = "Task of the replayed labels", DefaultValueFactory = _ => d.Task };
        var prefix = new Option<string>("--key-prefix") { Description = "Redis key prefix", DefaultValueFactory = _ => d.KeyPrefix };
        var rate = new Option<double>("--rate") { Description = "Offered events/s (clicks + labels); 0 = as fast as possible", DefaultValueFactory = _ => d.Rate }.Above(0, inclusive: true);
        var events = new Option<long>("--max-events") { Description = "Stop the replay after this many events; 0 = all", DefaultValueFactory = _ => d.Events }.AtLeast(0L);
        var eventLog = new Option<string?>("--events") { Description = "Replay this click log (event-log formats, as pretrain --events) instead of --data; needs --backbone" }.ExistingFile();
        var labels = new Option<string?>("--labels") { Description = "With --events: the task's labels (user, label, time), interleaved with the clicks by event time" }.ExistingFile();
        var users = new Option<int>("--users") { Description = "Replay at most this many users; 0 = all", DefaultValueFactory = _ => d.Users }.AtLeast(0);
        var pretrainUsers = new Option<int>("--pretrain-users") { Description = "Synthetic pretrain users", DefaultValueFactory = _ => d.PretrainUsers }.AtLeast(1);
        var streamUsers = new Option<int>("--stream-users") { Description = "Synthetic stream users", DefaultValueFactory = _ => d.StreamUsers }.AtLeast(1);
        var epochs = new Option<int>("--epochs") { Description = "Pretrain epochs", DefaultValueFactory = _ => d.PretrainEpochs }.AtLeast(1);
        var channels = new Option<int>("--channels") { Description = "Backbone channels", DefaultValueFactory = _ => d.Channels }.Between(2, 4096);
        var publish = new Option<int>("--publish-every-steps") { Description = "Trainer publishes a patch version every K steps", DefaultValueFactory = _ => d.PublishEverySteps }.AtLeast(1);
        var window = new Option<int>("--prequential-window") { Description = "Labels per prequential window", DefaultValueFactory = _ => d.PrequentialWindow }.AtLeast(1);
        var partitions = new Option<int>("--partitions") { Description = "Dev broker partitions per topic", DefaultValueFactory = _ => d.Partitions }.Between(1, 10_000);
        var threads = new Option<int>("--role-threads") { Description = "libtorch threads of trainer and serving each", DefaultValueFactory = _ => d.RoleThreads }.Between(0, 1024);
        var drain = new Option<int>("--drain-timeout") { Description = "Seconds to wait for the roles to catch up after the replay", DefaultValueFactory = _ => 120 }.AtLeast(1);
        var fresh = new Option<bool>("--fresh") { Description = "Regenerate data and pretrain again even if the work dir has them" };
        var summary = new Option<string?>("--summary") { Description = "Also write the summary as JSON to this file" }.OutputFile();
        var cmd = new Command("run", "Run the whole pipeline locally: Redis, broker, backbone, ingest, train, serve, a replayed stream, a summary")
        {
            workDir, kafka, redis, redisCluster, backbone, data, eventLog, labels, task, prefix, rate, events, users, pretrainUsers, streamUsers, epochs, channels,
            publish, window, partitions, threads, drain, fresh, summary,
        };
        cmd.SetAction(async (r, ct) =>
        {
            var settings = new RunSettings
            {
                WorkDir = r.GetValue(workDir)!, Kafka = r.GetValue(kafka), Redis = r.GetValue(redis), RedisCluster = r.GetValue(redisCluster), Backbone = r.GetValue(backbone),
                Data = r.GetValue(data), EventsFile = r.GetValue(eventLog), LabelsFile = r.GetValue(labels), Task = r.GetValue(task)!, KeyPrefix = r.GetValue(prefix)!, Rate = r.GetValue(rate),
                Events = r.GetValue(events), Users = r.GetValue(users), PretrainUsers = r.GetValue(pretrainUsers),
                StreamUsers = r.GetValue(streamUsers), PretrainEpochs = r.GetValue(epochs), Channels = r.GetValue(channels),
                PublishEverySteps = r.GetValue(publish), PrequentialWindow = r.GetValue(window), Partitions = r.GetValue(partitions),
                RoleThreads = r.GetValue(threads), DrainTimeout = TimeSpan.FromSeconds(r.GetValue(drain)), Fresh = r.GetValue(fresh),
                SummaryFile = r.GetValue(summary),
            };
            return await LocalRun.RunAsync(settings, ct);
        });
        return cmd;
    }
}
