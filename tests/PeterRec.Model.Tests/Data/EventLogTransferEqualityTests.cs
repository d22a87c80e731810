using System.Text.Json;
using PeterRec.Cli.Commands;
using PeterRec.Model.Data;
using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

/// <summary>The synthetic benchmark exported as an event log trains exactly as its CSV files do.</summary>
[Collection(PeterRec.Model.Tests.Training.SeededTrainingCollection.Name)]
public class EventLogTransferEqualityTests
{
    private static readonly SyntheticOptions Small = new(Seed: 5, PretrainUsers: 300, FineTuneUsers: 150, SourceItems: 200, TargetItems: 64,
        Topics: 8, Classes: 4, MinSeqLen: 5, MaxSeqLen: 12, EventLog: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // fine-tune users drawn from the pretrain users: their labels follow their pretraining clicks
    public void The_split_gives_back_the_csv_files_sequences_and_rows(bool fromPretrain)
    {
        using var dir = new TempDir();
        var o = Small with { FineTuneFromPretrain = fromPretrain };
        SyntheticTransfer.Generate(dir.Path, o);
        var options = new EventLogOptions { UntilMs = SyntheticEventLog.SplitMs(o) };

        var csv = SequenceCsv.ReadPretrain(dir.File("pretrain.csv"), new CsvReadOptions()).Rows.Select(r => r.Items);
        var events = ClickSequences.Read(dir.File("events.csv"), options).ToPretrainRows().Select(r => r.Items);
        Assert.Equal(csv, events);
        foreach (var task in new[] { "rec", "cls" })
        {
            var rows = SequenceCsv.ReadFineTune(dir.File($"{task}.csv"), new CsvReadOptions()).Rows;
            var fromLog = LabelledHistories.Read(dir.File("events.csv"), dir.File($"{task}_labels.csv"), task, options).Rows;
            Assert.Equal(rows.Select(r => $"{string.Join(' ', r.Source)} -> {string.Join(' ', r.Targets)}"),
                         fromLog.Select(r => $"{string.Join(' ', r.Source)} -> {string.Join(' ', r.Targets)}"));
            Assert.Equal(rows.Count, fromLog.Select(r => r.User).Distinct().Count());
        }
    }

    [Fact]
    public void Pretrain_and_finetune_from_events_give_the_csv_paths_metrics_with_the_same_seed()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        Cli("gen-data", "--out", data, "--seed", "5", "--pretrain-users", "300", "--finetune-users", "150", "--source-items", "200",
            "--target-items", "64", "--topics", "8", "--classes", "4", "--min-len", "5", "--max-len", "12", "--event-log");
        var until = EventTimestamp.Format(SyntheticEventLog.SplitMs(Small));
        string[] model = ["--emb", "16", "--dilations", "1,2", "--epochs", "2", "--batch", "64", "--seed", "3"];

        Cli(["pretrain", "--data", Path.Combine(data, "pretrain.csv"), "--out", dir.File("bb-csv"), .. model]);
        Cli(["pretrain", "--events", Path.Combine(data, "events.csv"), "--until", until, "--out", dir.File("bb-events"), .. model]);
        var (a, b) = (Json(dir.File("bb-csv/pretrain_report.json")), Json(dir.File("bb-events/pretrain_report.json")));
        foreach (var field in new[] { "items", "sequences", "train_windows", "epochs_run", "final_loss", "valid_mrr5", "valid_hr5" })
            Assert.Equal(a.GetProperty(field).GetRawText(), b.GetProperty(field).GetRawText());
        Assert.Equal(File.ReadAllBytes(dir.File("bb-csv/backbone.safetensors")), File.ReadAllBytes(dir.File("bb-events/backbone.safetensors")));
        Assert.Equal(300, b.GetProperty("events").GetProperty("users").GetInt32());

        foreach (var task in new[] { "rec", "cls" })
        {
            string[] tune = ["--task", task, "--epochs", "3", "--batch", "32", "--seed", "3"];
            Cli(["finetune", "--backbone", dir.File("bb-csv"), "--data", Path.Combine(data, $"{task}.csv"), "--out", dir.File($"{task}-csv"), .. tune]);
            Cli(["finetune", "--backbone", dir.File("bb-events"), "--events", Path.Combine(data, "events.csv"),
                 "--labels", Path.Combine(data, $"{task}_labels.csv"), "--until", until, "--out", dir.File($"{task}-events"), .. tune]);
            var (c, e) = (Json(dir.File($"{task}-csv/report.json")), Json(dir.File($"{task}-events/report.json")));
            var metrics = task == "rec" ? new[] { "mrr_5", "hr_5", "ndcg_5" } : ["accuracy"];
            foreach (var field in metrics.Concat(["train_examples", "test_examples", "targets", "oov_tokens", "epochs_run", "best_valid_metric", "baseline", "lift"]))
                Assert.Equal(c.GetProperty(field).GetRawText(), e.GetProperty(field).GetRawText());
            Assert.Equal(150, e.GetProperty("events").GetProperty("examples").GetInt32());
        }
    }

    private static void Cli(params string[] args)
    {
        var error = new StringWriter();
        var code = CliApp.Run(args, new System.CommandLine.InvocationConfiguration { Output = new StringWriter(), Error = error });
        Assert.True(code == 0, $"peterrec {string.Join(' ', args)} exited {code}: {error}");
    }

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;
}
