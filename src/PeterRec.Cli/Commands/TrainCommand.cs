using System.CommandLine;
using PeterRec.Trainer.Hosting;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec train</c>: the Trainer role (task events + click windows -> online training of model patches and head -> published versions).</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var o = RoleOptions.Common();
        o.Add(new Option<string?>("--backbone") { Description = "Pretrained backbone directory, loaded frozen (Trainer:BackboneDir)" }.ExistingDirectory(), "Trainer:BackboneDir");
        o.Add(new Option<string?>("--task") { Description = "Task to learn, e.g. rec or cls (Trainer:Task)" }, "Trainer:Task");
        o.Add(new Option<string?>("--kind") { Description = "rec (ranked items) or cls (classes); default from the task name (Trainer:Kind)" }, "Trainer:Kind");
        o.AddList(new Option<string[]>("--classes") { Description = "Closed label set, e.g. a,b,c (Trainer:Classes)", AllowMultipleArgumentsPerToken = true }, "Trainer:Classes");
        o.Add(new Option<string?>("--checkpoint-dir") { Description = "Checkpoint directory; a restart resumes from it (Trainer:CheckpointDir)" }.OutputDirectory(), "Trainer:CheckpointDir");
        o.Add(new Option<int?>("--max-targets") { Description = "Capacity of the open target table (Trainer:MaxTargets)" }.Between(1, 10_000_000), "Trainer:MaxTargets");
        o.Add(new Option<int?>("--micro-batch") { Description = "Events per optimizer step (Trainer:MicroBatch)" }.Between(1, 65_536), "Trainer:MicroBatch");
        o.Add(new Option<double?>("--lr") { Description = "Adam learning rate (Trainer:LearningRate)" }.Above(0), "Trainer:LearningRate");
        o.Add(new Option<int?>("--publish-every-steps") { Description = "Publish a patch version every K steps (Trainer:PublishEverySteps)" }.AtLeast(1), "Trainer:PublishEverySteps");
        o.Add(new Option<double?>("--publish-every-seconds") { Description = "... or every T seconds (Trainer:PublishEverySeconds)" }.Above(0, inclusive: true), "Trainer:PublishEverySeconds");
        o.Add(new Option<string?>("--device") { Description = "auto, cpu or cuda (Trainer:Device)" }.OneOfIfGiven("auto", "cpu", "cuda"), "Trainer:Device");
        o.Add(new Option<int?>("--threads") { Description = "libtorch threads, 0 = default (Trainer:Threads)" }.Between(0, 1024), "Trainer:Threads");
        var cmd = new Command("train", "Run the Trainer role: fine-tune a task's model patches and head online from target-task events, publish patch versions");
        o.AddTo(cmd);
        cmd.SetAction(async (parseResult, ct) => await RoleRunner.RunAsync(TrainerHost.Build([], o.Overrides(parseResult)), ct));
        return cmd;
    }
}
