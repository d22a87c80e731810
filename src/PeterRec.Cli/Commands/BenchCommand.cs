using System.CommandLine;
using System.Text.Json;
using PeterRec.Bench;

namespace PeterRec.Cli.Commands;

/// <summary>`peterrec bench`: see <see cref="ModelBench"/>; prints one JSON line comparable with the PyTorch peer's.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = string.Join(" | ", ModelBench.Modes), DefaultValueFactory = _ => "peterrec" }.OneOf(ModelBench.Modes);
        var items = new Option<int>("--items") { DefaultValueFactory = _ => 10000 }.AtLeast(3);
        var targets = new Option<int>("--targets") { DefaultValueFactory = _ => 1000 }.AtLeast(1);
        var emb = new Option<int>("--emb") { DefaultValueFactory = _ => 64 }.Between(2, 4096);
        var dilations = new Option<string>("--dilations") { DefaultValueFactory = _ => "1,4,1,4,1,4,1,4" }.IntList(1);
        var patchHidden = new Option<int>("--patch-hidden") { Description = "0 = emb/8", DefaultValueFactory = _ => 0 }.Between(0, 4096);
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 128 }.AtLeast(1);
        var seq = new Option<int>("--seq") { DefaultValueFactory = _ => 50 }.Between(2, 4096);
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 }.Between(0, 1024);
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 20 }.AtLeast(1);
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 3 }.AtLeast(0);
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
                var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" }.OneOf("auto", "cpu", "cuda");
        var loss = new Option<string>("--loss") { Description = "pretrain: softmax | sampled", DefaultValueFactory = _ => "softmax" }.OneOf("softmax", "sampled");
        var sampled = new Option<int>("--sampled") { Description = "negatives for --loss sampled; 0 = items/5", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var compareFull = new Option<bool>("--compare-full") { Description = "task modes: interleave steps with and without position pruning in one process; print both medians" };
        var denseAdam = new Option<bool>("--dense-adam") { Description = "--loss sampled: dense Adam on the vocabulary tables (the peer's update) instead of lazy Adam" };
        var cmd = new Command("bench", "Time model steps; prints one JSON line comparable with the PyTorch peer")
        {
            mode, items, targets, emb, dilations, patchHidden, batch, seq, threads, steps, warmup, seed, device, loss, sampled, denseAdam, compareFull,
        };
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            var result = ModelBench.Run(new ModelBenchSettings(r.GetValue(mode)!, r.GetValue(items), r.GetValue(targets), r.GetValue(emb),
                PretrainCommand.ParseInts(r.GetValue(dilations)!, "--dilations"), r.GetValue(patchHidden), r.GetValue(batch), r.GetValue(seq),
                r.GetValue(threads), r.GetValue(steps), r.GetValue(warmup), r.GetValue(seed), r.GetValue(device)!,
                r.GetValue(loss)!, r.GetValue(sampled), r.GetValue(denseAdam), r.GetValue(compareFull)));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }));
        return cmd;
    }
}
