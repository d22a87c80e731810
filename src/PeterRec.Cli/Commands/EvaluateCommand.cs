using System.CommandLine;
using System.Text.Json;
using PeterRec.Model.Data;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Training;

namespace PeterRec.Cli.Commands;

/// <summary>`peterrec evaluate`: scores a saved task on a fine-tune CSV.</summary>
public static class EvaluateCommand
{
    public static Command Create()
    {
        var backbone = new Option<string>("--backbone") { Description = "Backbone directory the task was trained over", Required = true }.ExistingDirectory();
        var taskDir = new Option<string>("--task-dir") { Description = "Task directory from `peterrec finetune`", Required = true }.ExistingDirectory();
        var data = new Option<string>("--data") { Description = "Fine-tune CSV to score (every usable row)", Required = true }.ExistingFile();
        var full = new Option<bool>("--full-ranking") { Description = "rec: rank the positive among all targets instead of 99 sampled negatives" };
        var negatives = new Option<int>("--negatives") { Description = "rec: sampled negatives each positive is ranked among", DefaultValueFactory = _ => 99 }.AtLeast(1);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var skipBad = new Option<bool>("--skip-bad-rows");
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" }.OneOf("auto", "cpu", "cuda");
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 0 }.Between(0, 1024);
        var cmd = new Command("evaluate", "Evaluate a fine-tuned task") { backbone, taskDir, data, full, negatives, seed, skipBad, device, threads };
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            CommandGuard.SetThreads(r.GetValue(threads));
            var dev = Devices.Pick(r.GetValue(device)!);
            var (model, manifest, targets) = ModelStore.LoadTask(r.GetValue(backbone)!, r.GetValue(taskDir)!, dev);
            using var _ = model;
            var rows = SequenceCsv.ReadFineTune(r.GetValue(data)!, new CsvReadOptions(r.GetValue(skipBad)));
            var encoded = TaskData.Encode(rows, ModelStore.LoadSourceVocab(r.GetValue(backbone)!), targets);
            bool cls = manifest.Task == "cls";
            var m = TaskEvaluator.Evaluate(model, encoded.Users, new EvalSettings(cls, r.GetValue(negatives), r.GetValue(full), r.GetValue(seed)), dev);
            if (m.Count == 0)
                throw new InvalidDataException($"{r.GetValue(data)}: nothing to score: {encoded.Users.Count} rows with a {(cls ? "class" : "target")} the task knows " +
                                               $"({encoded.UnknownTargets} unknown {(cls ? "classes" : "targets")}, {encoded.SkippedRows} bad rows skipped); metrics over no example would read 0");
            var result = new Dictionary<string, object?>
            {
                ["mode"] = manifest.Mode, ["task"] = manifest.Task, ["examples"] = m.Count,
                ["ranking"] = cls ? "top1" : r.GetValue(full) ? "full" : $"sampled_{r.GetValue(negatives)}",
                ["mrr_5"] = cls ? null : Math.Round(m.Mrr, 5), ["hr_5"] = cls ? null : Math.Round(m.Hr, 5),
                ["ndcg_5"] = cls ? null : Math.Round(m.Ndcg, 5), ["accuracy"] = cls ? Math.Round(m.Accuracy, 5) : null,
                ["oov_tokens"] = encoded.OovTokens, ["unknown_targets"] = encoded.UnknownTargets, ["skipped_rows"] = encoded.SkippedRows,
            };
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }));
        return cmd;
    }
}
