using System.CommandLine;
using System.Text.Json;
using PeterRec.Cli.Rendering;
using PeterRec.Model.Data.Events;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Training;

namespace PeterRec.Cli.Commands;

/// <summary>`peterrec finetune`: trains one task over a backbone in one of the paper's modes.</summary>
public static class FineTuneCommand
{
    public static Command Create()
    {
        var backbone = new Option<string>("--backbone") { Description = "Backbone directory from `peterrec pretrain`", Required = true }.ExistingDirectory();
        var data = new Option<string?>("--data") { Description = "Fine-tune CSV: src1,...,srcN,,tgt1,... (or --events with --labels)" }.ExistingFile();
        var task = new Option<string>("--task") { Description = "rec | cls", DefaultValueFactory = _ => "rec" }.OneOf("rec", "cls");
        var mode = new Option<string>("--mode") { Description = string.Join(" | ", FineTuneModes.ByName.Keys), DefaultValueFactory = _ => "peterrec-serial" }.OneOf([.. FineTuneModes.ByName.Keys]);
        var output = new Option<string>("--out") { Description = "Task directory: only what the task adds to the backbone", Required = true }.OutputDirectory();
        var report = new Option<string?>("--report") { Description = "Where to write REPORT.json (default: TASKDIR/report.json)" }.OutputFile();
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 20 }.AtLeast(1);
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 128 }.AtLeast(1);
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => 1e-3 }.Above(0);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var patchSize = new Option<int>("--patch-size") { Description = "Patch bottleneck width; 0 = channels/8", DefaultValueFactory = _ => 0 }.Between(0, 4096);
        var testFraction = new Option<double>("--test-fraction") { Description = "Share of users held out for the test metrics (> 0: a run must have something to score)", DefaultValueFactory = _ => 0.27 }.Must(v => v > 0 && v < 1, "a fraction > 0 and < 1");
        var validFraction = new Option<double>("--valid-fraction") { DefaultValueFactory = _ => 0.03 }.Fraction(0, 1);
        var patience = new Option<int>("--patience") { DefaultValueFactory = _ => 3 }.AtLeast(1);
        var loss = new Option<string>("--loss") { Description = "softmax (all targets) | sampled", DefaultValueFactory = _ => "softmax" }.OneOf("softmax", "sampled");
        var skipBad = new Option<bool>("--skip-bad-rows") { Description = "Skip malformed rows (counted) instead of stopping at the first" };
        var device = new Option<string>("--device") { Description = "auto | cpu | cuda", DefaultValueFactory = _ => "auto" }.OneOf("auto", "cpu", "cuda");
        var threads = new Option<int>("--threads") { Description = "CPU threads; 0 = all cores", DefaultValueFactory = _ => 0 }.Between(0, 1024);
        var cmd = new Command("finetune", "Fine-tune a task (rec or cls) over a pretrained backbone")
        {
            backbone, data, task, mode, output, report, epochs, batch, lr, seed, patchSize, testFraction, validFraction, patience, loss, skipBad, device, threads,
        };
        var events = EventLogArgs.AddTo(cmd, labels: true);
        cmd.AddCheck(r =>
        {
            if (r.GetValue(validFraction) + r.GetValue(testFraction) >= 1) r.AddError("--valid-fraction + --test-fraction: expected a sum < 1 (some users must train)");
            if (r.GetValue(output) is { } o && r.GetValue(backbone) is { } b)
                try { ModelStore.CheckTaskOutput(o, b); }
                catch (ArgumentException e) { r.AddError(e.Message); }
        });
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            var eventsPath = events.EventsPath(r, data);
            CommandGuard.SetThreads(r.GetValue(threads));
            var options = new FineTuneOptions
            {
                Task = r.GetValue(task)!, Mode = FineTuneModes.Parse(r.GetValue(mode)!), Epochs = r.GetValue(epochs), Batch = r.GetValue(batch),
                LearningRate = r.GetValue(lr), Seed = r.GetValue(seed), PatchHidden = r.GetValue(patchSize), TestFraction = r.GetValue(testFraction),
                ValidFraction = r.GetValue(validFraction), Patience = r.GetValue(patience), Loss = r.GetValue(loss)!, SkipBadRows = r.GetValue(skipBad),
                Device = r.GetValue(device)!,
            };
            var taskDir = r.GetValue(output)!;
            ModelStore.CheckTaskOutput(taskDir, r.GetValue(backbone)!);
            var result = TrainingProgressView.Run($"finetune {options.Mode.Name()}", p => eventsPath is null
                ? new FineTuner(options, p).Run(r.GetValue(backbone)!, r.GetValue(data)!, taskDir)
                : new FineTuner(options, p).Run(r.GetValue(backbone)!,
                    LabelledHistories.Read(eventsPath, events.LabelsPath(r), options.Task, events.Options(r, options.SkipBadRows)), events.LabelsPath(r), taskDir));
            var reportPath = r.GetValue(report) ?? Path.Combine(taskDir, "report.json");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
            File.WriteAllText(reportPath, JsonSerializer.Serialize(result, ModelStore.Json));
            foreach (var warning in result.Warnings ?? []) Console.Error.WriteLine($"warning: {warning}");
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }));
        return cmd;
    }
}
