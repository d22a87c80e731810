using System.CommandLine;
using Confluent.Kafka;
using Microsoft.Extensions.Options;
using PeterRec.Kafka;
using PeterRec.Model.Data.Events;
using PeterRec.Orchestration;
using PeterRec.Producers;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec produce</c>: replays a fine-tune CSV or synthetic users into Kafka as clicks and task events.</summary>
public static class ProduceCommand
{
    public static Command Create()
    {
        var data = new Option<FileInfo?>("--data") { Description = "Fine-tune CSV (src1,...,srcN,,tgt1,...); one user per line" }.ExistingFile();
        var synthetic = new Option<int?>("--synthetic") { Description = "Generate traffic for this many synthetic users instead" };
        var rate = new Option<double>("--rate") { Description = "Events per second (token bucket); 0 = as fast as possible", DefaultValueFactory = _ => 0 };
        var task = new Option<string>("--task") { Description = "Task name of the target events", DefaultValueFactory = _ => "rec" };
        var maxEvents = new Option<long>("--max-events") { Description = "Stop after this many events; 0 = all", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers" };
        var bootstrapFile = new Option<string?>("--bootstrap-file") { Description = "File with the bootstrap servers (from dev-broker)" }.NotADirectory();
        var userPrefix = new Option<string>("--user-prefix") { Description = "User id prefix", DefaultValueFactory = _ => "u" };
        var items = new Option<int>("--items") { Description = "Synthetic: catalogue size", DefaultValueFactory = _ => 10_000 }.AtLeast(1);
        var length = new Option<int>("--length") { Description = "Synthetic: clicks per user (on average)", DefaultValueFactory = _ => 20 }.AtLeast(1);
        var seed = new Option<int>("--seed") { Description = "Synthetic: random seed", DefaultValueFactory = _ => 1 };
        var startTs = new Option<long?>("--start-ts") { Description = "Timestamp of the first event (unix ms); default now" };
        var events = new Option<FileInfo?>("--events") { Description = "Replay a click log (event-log formats, as pretrain --events) at its own event times" };
        var labels = new Option<FileInfo?>("--labels") { Description = "With --events: the task's labels (user, label, time), interleaved with the clicks by event time" };
        var cmd = new Command("produce", "Replay a data set (or synthetic users) into Kafka as clicks and target-task events")
        {
            data, synthetic, rate, task, maxEvents, kafka, bootstrapFile, userPrefix, items, length, seed, startTs, events, labels,
        };
        cmd.AddCheck(r =>
        {
            if (new object?[] { r.GetValue(data), r.GetValue(synthetic), r.GetValue(events) }.Count(v => v is not null) != 1)
                r.AddError("give exactly one of --data, --events and --synthetic");
            if (r.GetValue(labels) is not null && r.GetValue(events) is null) r.AddError("--labels: expected it with --events");
            if (r.GetValue(rate) < 0) r.AddError("--rate must be >= 0");
            if (r.GetValue(synthetic) is < 1) r.AddError("--synthetic must be >= 1");
        });
        cmd.SetAction((parseResult, ct) =>
        {
            try
            {
                var (factory, topics) = KafkaSettings.FromEnvironment(parseResult.GetValue(kafka), parseResult.GetValue(bootstrapFile));
                var start = parseResult.GetValue(startTs) ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var prefix = parseResult.GetValue(userPrefix)!;
                var taskName = parseResult.GetValue(task)!;
                var file = parseResult.GetValue(data);
                // Validate the whole file before producing anything, so a bad line cannot leave a half replay behind.
                if (file is not null) _ = FineTuneCsvReplay.Read(file.FullName, taskName, prefix, start).Count();
                var log = parseResult.GetValue(events);
                var replay = log is not null
                    ? LabelLag.Hold(EventLogReplay.Read(log.FullName, parseResult.GetValue(labels)?.FullName, taskName, new EventLogOptions()).Events, LabelLag.Default, ct)
                    : file is not null
                    ? FineTuneCsvReplay.Read(file.FullName, taskName, prefix, start)
                    : SyntheticReplay.Generate(parseResult.GetValue(synthetic)!.Value, parseResult.GetValue(items), parseResult.GetValue(length),
                        taskName, prefix, start, parseResult.GetValue(seed));
                var config = factory.CreateProducerConfig("peterrec-produce");
                config.LingerMs = 10;
                using var producer = KafkaClientFactory.Instance.CreateProducer(config);
                var s = EventReplayer.Run(producer, topics, replay, parseResult.GetValue(rate), parseResult.GetValue(maxEvents), ct);
                var total = s.Clicks + s.TaskEvents;
                Console.WriteLine($"produced {s.Clicks} clicks to {topics.Clicks} and {s.TaskEvents} task events to {topics.TaskEvents} " +
                    $"in {s.Elapsed.TotalSeconds:F2} s ({total / Math.Max(s.Elapsed.TotalSeconds, 1e-9):F0} events/s); {s.Failed} failed");
                return Task.FromResult(s.Failed == 0 ? 0 : 1);
            }
            catch (Exception e) when (e is FormatException or OptionsValidationException or IOException or InvalidOperationException
                                       or PeterRec.Model.Data.CsvFormatException or InvalidDataException)
            {
                Console.Error.WriteLine($"produce: {e.Message}");
                return Task.FromResult(2);
            }
        });
        return cmd;
    }
}
