using System.CommandLine;
using PeterRec.Model.Storage;
using PeterRec.Trainer.Online;

namespace PeterRec.Cli.Commands;

/// <summary>
/// <c>peterrec convert</c>: rewrites artifacts of the retired binary formats (<c>backbone.bin</c>, <c>task.bin</c>,
/// <c>PRCK</c> checkpoints) as sealed safetensors files, the backbone first (tasks and checkpoints record its old
/// fingerprint). Already converted artifacts are left alone; nothing is replaced unless the new one loads.
/// </summary>
public static class ConvertCommand
{
    public static Command Create()
    {
        var backbone = new Option<string>("--backbone") { Description = "Backbone directory (backbone.bin, config.json, source_vocab.txt)", Required = true }.ExistingDirectory();
        var tasks = new Option<string[]>("--task-dir") { Description = "Task directories trained over it (task.bin, task.json, target_vocab.txt)", AllowMultipleArgumentsPerToken = true }.ExistingDirectories();
        var checkpoints = new Option<string[]>("--checkpoint") { Description = "Trainer checkpoints over it (<task>.ckpt)", AllowMultipleArgumentsPerToken = true }.ExistingFiles();
        var cmd = new Command("convert", "Rewrite backbones, tasks and trainer checkpoints of the old binary formats as safetensors")
        {
            backbone, tasks, checkpoints,
        };
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            var dir = r.GetValue(backbone)!;
            var done = new List<string?> { LegacyArtifacts.ConvertBackbone(dir) ?? $"{dir}: already safetensors" };
            foreach (var task in r.GetValue(tasks) ?? [])
                done.Add(LegacyArtifacts.ConvertTask(task, dir) ?? $"{task}: already safetensors");
            foreach (var checkpoint in r.GetValue(checkpoints) ?? [])
                done.Add(LegacyCheckpoint.Convert(checkpoint, dir) ?? $"{checkpoint}: already safetensors");
            foreach (var line in done) Console.WriteLine(line);
            return 0;
        }));
        return cmd;
    }
}
