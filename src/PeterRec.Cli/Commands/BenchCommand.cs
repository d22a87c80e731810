using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using PeterRec.Model.Model;
using PeterRec.Model.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Cli.Commands;

/// <summary>
/// `peterrec bench`: times training or inference steps of the same network at the same shapes as
/// ../shared/peers/peterrec_torch.py and prints one JSON line with the same keys.
/// </summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "pretrain | fineall | peterrec | finecls | infer", DefaultValueFactory = _ => "peterrec" };
        var items = new Option<int>("--items") { DefaultValueFactory = _ => 10000 };
        var targets = new Option<int>("--targets") { DefaultValueFactory = _ => 1000 };
        var emb = new Option<int>("--emb") { DefaultValueFactory = _ => 64 };
        var dilations = new Option<string>("--dilations") { DefaultValueFactory = _ => "1,4,1,4,1,4,1,4" };
        var patchHidden = new Option<int>("--patch-hidden") { Description = "0 = emb/8", DefaultValueFactory = _ => 0 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 128 };
        var seq = new Option<int>("--seq") { DefaultValueFactory = _ => 50 };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => 2 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 7 };
        var device = new Option<string>("--device") { DefaultValueFactory = _ => "auto" };
        var cmd = new Command("bench", "Time model steps; prints one JSON line comparable with the PyTorch peer")
        {
            mode, items, targets, emb, dilations, patchHidden, batch, seq, threads, steps, warmup, seed, device,
        };
        cmd.SetAction(r => CommandGuard.Run(() =>
        {
            var m = r.GetValue(mode)!;
            if (m is not ("pretrain" or "fineall" or "peterrec" or "finecls" or "infer"))
                throw new ArgumentException($"--mode '{m}': expected pretrain, fineall, peterrec, finecls or infer");
            set_num_threads(r.GetValue(threads));
            manual_seed(r.GetValue(seed));
            var dev = Devices.Pick(r.GetValue(device)!);
            var config = new BackboneConfig
            {
                Items = r.GetValue(items), Channels = r.GetValue(emb), Dilations = PretrainCommand.ParseInts(r.GetValue(dilations)!, "--dilations"),
                MaxSeq = r.GetValue(seq),
            };
            int b = r.GetValue(batch), s = r.GetValue(seq);
            var result = m == "pretrain" ? BenchPretrain(config, b, s, r.GetValue(steps), r.GetValue(warmup), dev)
                : BenchTask(config, m, r.GetValue(targets), r.GetValue(patchHidden), b, s, r.GetValue(steps), r.GetValue(warmup), dev);
            result["threads"] = get_num_threads();
            result["mode"] = m; result["items"] = config.Items; result["targets"] = r.GetValue(targets); result["emb"] = config.Channels;
            result["batch"] = b; result["seq"] = s; result["steps"] = r.GetValue(steps);
            result["peak_rss_mb"] = Math.Round(PeakRssMb(), 1);
            Console.WriteLine(JsonSerializer.Serialize(result));
            return 0;
        }));
        return cmd;
    }

    private static Dictionary<string, object> BenchPretrain(BackboneConfig config, int batch, int seq, int steps, int warmup, Device dev)
    {
        using var model = new PretrainModel(config);
        model.to(dev);
        using var x = randint(1, config.Items, [batch, seq], dtype: ScalarType.Int64, device: dev);
        using var y = randint(1, config.Items, [batch, seq], dtype: ScalarType.Int64, device: dev);
        using var opt = optim.Adam(model.parameters(), 1e-3);
        var times = Time(steps, warmup, () =>
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var logits = model.Logits(model.forward(x));                              // [batch, seq, items]
            var loss = nn.functional.cross_entropy(logits.view(-1, config.Items), y.view(-1));
            loss.backward();
            opt.step();
            loss.item<float>();
        });
        long total = model.parameters().Sum(p => p.numel());
        return Summary(times, batch, total, total);
    }

    private static Dictionary<string, object> BenchTask(BackboneConfig config, string mode, int targets, int patchHidden, int batch, int seq, int steps, int warmup, Device dev)
    {
        var ftMode = mode switch { "fineall" => FineTuneMode.FineAll, "peterrec" => FineTuneMode.PeterRecSerial, _ => FineTuneMode.FineCls };
        int hidden = patchHidden > 0 ? patchHidden : PeterRecModel.DefaultPatchHidden(config.Channels);
        using var model = new PeterRecModel(config, ftMode, targets, hidden);
        model.to(dev);
        // Our input appends [CLS], so seq-1 items give the peer's seq positions.
        using var x = randint(1, config.Items, [batch, seq - 1], dtype: ScalarType.Int64, device: dev);
        using var y = randint(0, targets, [batch], dtype: ScalarType.Int64, device: dev);
        var trainable = model.TrainableParameters().Select(p => p.Param).ToList();
        using var opt = optim.Adam(trainable, 1e-3);
        Action step = mode == "infer"
            ? () =>
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                var scores = model.Scores(model.forward(x));
                var (values, indices) = scores.topk(10, dim: 1);
                values.cpu();
            }
            : () =>
            {
                using var scope = NewDisposeScope();
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.Scores(model.forward(x)), y);
                loss.backward();
                opt.step();
                loss.item<float>();
            };
        if (mode == "infer") model.eval();
        var times = Time(steps, warmup, step);
        long total = model.parameters().Sum(p => p.numel());
        return Summary(times, batch, mode == "infer" ? 0 : trainable.Sum(p => p.numel()), total);
    }

    private static List<double> Time(int steps, int warmup, Action step)
    {
        var times = new List<double>();
        for (int i = 0; i < warmup + steps; i++)
        {
            var sw = Stopwatch.StartNew();
            step();
            if (i >= warmup) times.Add(sw.Elapsed.TotalSeconds);
        }
        return times;
    }

    private static Dictionary<string, object> Summary(List<double> times, int batch, long trainable, long total)
    {
        times.Sort();
        double med = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        return new Dictionary<string, object>
        {
            ["peer"] = "torchsharp", ["torch"] = "libtorch 2.10.0 / TorchSharp 0.107.0",
            ["trainable_params"] = trainable, ["total_params"] = total,
            ["ms_per_step_median"] = Math.Round(med * 1000, 2), ["samples_per_s"] = Math.Round(batch / med, 1),
        };
    }

    /// <summary>VmHWM from /proc: the process's peak resident set, as the peer's ru_maxrss.</summary>
    public static double PeakRssMb()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        }
        catch (IOException) { }
        return Environment.WorkingSet / (1024.0 * 1024.0);
    }
}
