using System.CommandLine;
using System.Text.Json;
using PeterRec.Cli.Rendering;
using PeterRec.Model.Data.Events;
using PeterRec.Kafka;
using PeterRec.Model.Storage;
using PeterRec.Model.Training;

namespace PeterRec.Cli.Commands;

/// <summary>`peterrec pretrain`: trains a NextItNet backbone on a pretrain CSV and saves it to a directory.</summary>
public static class PretrainCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Pretrain CSV: one user per line, item tokens oldest first (or --events)" }.ExistingFile();
        var output = new Option<string>("--out") { Description = "Directory for the backbone, source vocabulary and config", Required = true }.OutputDirectory();
        var emb = new Option<int>("--emb") { Description = "Embedding size = channels", DefaultValueFactory = _ => 64 }.Between(2, 4096);
        var kernel = new Option<int>("--kernel") { Description = "Convolution kernel width", DefaultValueFactory = _ => 3 }.Between(2, 15);
        var dilations = new Option<string>("--dilations") { Description = "Block dilations (second conv of each block uses twice)", DefaultValueFactory = _ => "1,4,1,4,1,4,1,4" }.IntList(1);
        var seq = new Option<int>("--seq") { Description = "Window length read by the backbone; 0 = longest sequence, at most 50", DefaultValueFactory = _ => 0 }.Between(0, 4096);
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 10 }.AtLeast(1);
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 128 }.AtLeast(1);
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 }.Above(0);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var loss = new Option<string>("--loss") { Description = "softmax | sampled", DefaultValueFactory = _ => "softmax" }.OneOf("softmax", "sampled");
        var sampleFraction = new Option<double>("--sample-fraction") { Description = "Share of items drawn as negatives by the sampled softmax", DefaultValueFactory = _ => 0.2 }.Must(v => v > 0 && v <= 1, "a fraction > 0 and <= 1");
        var masked = new Option<bool>("--masked") { Description = "Non-causal backbone with masked-item pretraining (GRec)" };
        var validFraction = new Option<double>("--valid-fraction") { DefaultValueFactory = _ => 0.03 }.Fraction(0, 1);
        var patience = new Option<int>("--patience") { DefaultValueFactory = _ => 3 }.AtLeast(1);
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Skip malformed rows (counted) instead of stopping at the first" };
        var device = new Option<string>("--device") { Description = "auto | cpu | cuda", DefaultValueFactory = _ => "auto" }.OneOf("auto", "cpu", "cuda");
        var threads = new Option<int>("--threads") { Description = "CPU threads; 0 = all cores", DefaultValueFactory = _ => 0 }.Between(0, 1024);
        var force = new Option<bool>("--force") { Description = "Replace a backbone already in --out (tasks trained on it go stale)" };
        var cmd = new Command("pretrain", "Pretrain a NextItNet backbone by next-item (or masked-item) prediction")
        {
            data, output, emb, kernel, dilations, seq, epochs, batch, lr, seed, loss, sampleFraction, masked, validFraction, patience, skipBad, device, threads, force,
        };
        var events = EventLogArgs.AddTo(cmd, labels: false);
        var kafka = KafkaClickArgs.AddTo(cmd);
        PretrainOptions Options(ParseResult r) => new()
        {
            Channels = r.GetValue(emb), Kernel = r.GetValue(kernel), Dilations = ParseInts(r.GetValue(dilations)!, "--dilations"),
            MaxSeq = r.GetValue(seq), Epochs = r.GetValue(epochs), Batch = r.GetValue(batch), LearningRate = r.GetValue(lr),
            Seed = r.GetValue(seed), Loss = r.GetValue(loss)!, SampleFraction = r.GetValue(sampleFraction), Masked = r.GetValue(masked),
            ValidFraction = r.GetValue(validFraction), Patience = r.GetValue(patience), SkipBadRows = r.GetValue(skipBad), Device = r.GetValue(device)!,
        };
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            if (kafka.FromKafka(r, data, events)) return PretrainFromKafka(r, kafka, events, Options(r), r.GetValue(output)!, r.GetValue(force), r.GetValue(threads));
            var eventsPath = events.EventsPath(r, data);
            CommandGuard.SetThreads(r.GetValue(threads));
            var options = Options(r);
            var outDir = r.GetValue(output)!;
            ModelStore.CheckBackboneOutput(outDir, r.GetValue(force));
            var report = TrainingProgressView.Run("pretrain", p => eventsPath is null
                ? new Pretrainer(options, p).Run(r.GetValue(data)!, outDir)
                : new Pretrainer(options, p).Run(ClickSequences.Read(eventsPath, events.Options(r, options.SkipBadRows)), eventsPath, outDir));
            return WriteReport(report, outDir);
        }));
        return cmd;
    }

    private static int WriteReport(PretrainReport report, string outDir)
    {
        var json = JsonSerializer.Serialize(report, ModelStore.Json);
        File.WriteAllText(Path.Combine(outDir, "pretrain_report.json"), json);
        Console.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions(ModelStore.Json) { WriteIndented = false }));
        return 0;
    }

    /// <summary>Pretrains from the clicks topic as it stands now (a bounded read; see <see cref="ClickTopicReader"/>).</summary>
    private static int PretrainFromKafka(ParseResult r, KafkaClickArgs kafka, EventLogArgs events, PretrainOptions options, string outDir, bool force, int threads)
    {
        CommandGuard.SetThreads(threads);
        ModelStore.CheckBackboneOutput(outDir, force);
        ClickTopicReader reader;
        try { reader = kafka.Reader(r); }
        catch (Microsoft.Extensions.Options.OptionsValidationException e) { throw new ArgumentException($"--from-kafka: {e.Message}", e); }
        var source = $"kafka://{reader.Topic}";
        ClickSequences sequences;
        try
        {
            sequences = ClickSequences.FromClicks(reader.Read(m => Console.Error.WriteLine($"pretrain: {m}")), events.Options(r, options.SkipBadRows),
                source, "kafka", kafka.SinceMs(r), () => reader.SkippedTotal);
        }
        catch (Exception e) when (e is TimeoutException or Confluent.Kafka.KafkaException)
        {
            throw new InvalidOperationException($"{source}: {e.Message}", e);
        }
        if (reader.SkippedTotal > 0)
            Console.Error.WriteLine($"pretrain: skipped {reader.SkippedTotal} records Ingest would dead-letter " +
                $"({string.Join(", ", reader.Skipped.Select(p => $"{p.Key} {p.Value}"))}); first: {reader.SkippedExamples[0]}");
        var report = TrainingProgressView.Run("pretrain", p => new Pretrainer(options, p).Run(sequences, source, outDir));
        return WriteReport(report, outDir);
    }

    public static int[] ParseInts(string text, string option) =>
        OptionChecks.ParseIntList(text, 1, out var values) is { } problem ? throw new ArgumentException($"{option} '{text}': {problem}") : values;
}
