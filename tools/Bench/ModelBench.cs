using System.Diagnostics;
using PeterRec.Model.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Bench;

/// <summary>What `peterrec bench` times (the same knobs as the PyTorch peer's command line).</summary>
public sealed record ModelBenchSettings(string Mode, int Items, int Targets, int Emb, int[] Dilations, int PatchHidden,
    int Batch, int Seq, int Threads, int Steps, int Warmup, int Seed, string Device);

/// <summary>
/// `peterrec bench`: times training or inference steps of the same network at the same shapes as
/// tests/peers/peterrec_torch.py and returns one JSON object with the same keys.
/// </summary>
public static class ModelBench
{
    public static readonly string[] Modes = ["pretrain", "fineall", "peterrec", "finecls", "infer"];

    public static Dictionary<string, object> Run(ModelBenchSettings s)
    {
        var m = s.Mode;
        if (!Modes.Contains(m))
            throw new ArgumentException($"--mode '{m}': expected pretrain, fineall, peterrec, finecls or infer");
        set_num_threads(s.Threads);
        manual_seed(s.Seed);
        var dev = Devices.Pick(s.Device);
        var config = new BackboneConfig { Items = s.Items, Channels = s.Emb, Dilations = s.Dilations, MaxSeq = s.Seq };
        int b = s.Batch, q = s.Seq;
        var result = m == "pretrain" ? BenchPretrain(config, b, q, s.Steps, s.Warmup, dev)
            : BenchTask(config, m, s.Targets, s.PatchHidden, b, q, s.Steps, s.Warmup, dev);
        result["threads"] = get_num_threads();
        result["mode"] = m; result["items"] = config.Items; result["targets"] = s.Targets; result["emb"] = config.Channels;
        result["batch"] = b; result["seq"] = q; result["steps"] = s.Steps;
        result["peak_rss_mb"] = Math.Round(PeakRssMb(), 1);
        return result;
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
