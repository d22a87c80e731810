using System.Diagnostics;
using PeterRec.Model.Model;
using PeterRec.Model.Training;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Bench;

/// <summary>What `peterrec bench` times (the same knobs as the PyTorch peer's command line).</summary>
public sealed record ModelBenchSettings(string Mode, int Items, int Targets, int Emb, int[] Dilations, int PatchHidden,
    int Batch, int Seq, int Threads, int Steps, int Warmup, int Seed, string Device,
    string Loss = "softmax", int Sampled = 0, bool DenseAdam = false, bool CompareFull = false);

/// <summary>
/// `peterrec bench`: times training or inference steps of the same network at the same shapes as
/// tests/peers/peterrec_torch.py and returns one JSON object with the same keys.
/// </summary>
public static class ModelBench
{
    public static readonly string[] Modes = ["pretrain", "fineall", "peterrec", "finecls", "headonly", "infer"];

    public static Dictionary<string, object> Run(ModelBenchSettings s)
    {
        var m = s.Mode;
        if (!Modes.Contains(m))
            throw new ArgumentException($"--mode '{m}': expected {string.Join(", ", Modes)}");
        if (s.Loss is not ("softmax" or "sampled")) throw new ArgumentException($"--loss '{s.Loss}': expected softmax or sampled");
        if (s.Sampled < 0) throw new ArgumentException($"--sampled {s.Sampled}: expected 0 (items/5) or more");
        set_num_threads(s.Threads);
        manual_seed(s.Seed);
        var dev = Devices.Pick(s.Device);
        var config = new BackboneConfig { Items = s.Items, Channels = s.Emb, Dilations = s.Dilations, MaxSeq = s.Seq };
        int b = s.Batch, q = s.Seq;
        var result = m == "pretrain" && s.Loss == "sampled" ? BenchSampledPretrain(config, s, dev)
            : m == "pretrain" ? BenchPretrain(config, b, q, s.Steps, s.Warmup, dev)
            : BenchTask(config, m, s.Targets, s.PatchHidden, b, q, s.Steps, s.Warmup, dev, s.CompareFull);
        result["threads"] = get_num_threads();
        result["mode"] = m; result["items"] = config.Items; result["targets"] = s.Targets; result["emb"] = config.Channels;
        result["loss"] = m == "pretrain" ? s.Loss : null!;
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

    /// <summary>
    /// Pretraining with the sampled softmax as the peer's <c>--loss sampled</c> (one negative set per batch,
    /// log-Q correction, accidental hits removed); the vocabulary-sized tables take lazy Adam
    /// (<see cref="SparsePretrainTables"/>) unless <c>DenseAdam</c> asks for the dense update the peer runs.
    /// </summary>
    private static Dictionary<string, object> BenchSampledPretrain(BackboneConfig config, ModelBenchSettings s, Device dev)
    {
        using var model = new PretrainModel(config);
        model.to(dev);
        int negatives = s.Sampled > 0 ? s.Sampled : Math.Max(1, config.Items / 5);
        var sampler = new SampledSoftmax(config.Items, 0, negatives, s.Seed);
        using var x = randint(1, config.Items, [s.Batch, s.Seq], dtype: ScalarType.Int64, device: dev);
        using var y = randint(1, config.Items, [s.Batch * s.Seq], dtype: ScalarType.Int64, device: dev);
        using var sparse = s.DenseAdam ? null : new SparsePretrainTables(model, 1e-3);
        using var opt = optim.Adam(model.parameters().Where(p => p.requires_grad), 1e-3);
        var times = Time(s.Steps, s.Warmup, () =>
        {
            using var scope = NewDisposeScope();
            opt.zero_grad();
            var loss = sparse is null
                ? sampler.Loss(model.forward(x).view(-1, config.Channels), y, model.OutputWeight, model.OutputBias)
                : sparse.SampledLoss(sampler, sparse.Hidden(x).view(-1, config.Channels), y);
            loss.backward();
            opt.step();
            sparse?.Step();
            loss.item<float>();
        });
        long total = model.parameters().Sum(p => p.numel());
        var result = Summary(times, s.Batch, total, total);
        result["sampled"] = negatives;
        result["optimizer"] = s.DenseAdam ? "adam" : "lazy adam (tables) + adam";
        return result;
    }

    private static Dictionary<string, object> BenchTask(BackboneConfig config, string mode, int targets, int patchHidden, int batch, int seq, int steps, int warmup, Device dev, bool compareFull = false)
    {
        // headonly: the FineCLS model with only the head in the optimizer and no graph through the backbone.
        var ftMode = mode switch { "fineall" => FineTuneMode.FineAll, "peterrec" => FineTuneMode.PeterRecSerial, _ => FineTuneMode.FineCls };
        int hidden = patchHidden > 0 ? patchHidden : PeterRecModel.DefaultPatchHidden(config.Channels);
        using var model = new PeterRecModel(config, ftMode, targets, hidden);
        model.to(dev);
        // seq items and an appended [CLS], as the peer's default.
        using var x = randint(1, config.Items, [batch, seq], dtype: ScalarType.Int64, device: dev);
        using var y = randint(0, targets, [batch], dtype: ScalarType.Int64, device: dev);
        List<Parameter> trainable = mode == "headonly" ? [(Parameter)model.TargetWeight]
            : model.TrainableParameters().Select(p => p.Param).ToList();
        using var opt = optim.Adam(trainable, 1e-3);
        var phases = new Dictionary<string, List<double>> { ["forward"] = [], ["backward"] = [], ["optimizer"] = [] };
        var clock = new Stopwatch();
        void Mark(string phase) { phases[phase].Add(clock.Elapsed.TotalMilliseconds); clock.Restart(); }
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
                clock.Restart();
                Tensor rep;
                using (mode == "headonly" ? no_grad() : null) rep = model.forward(x);   // [batch, channels]
                var loss = nn.functional.cross_entropy(model.Scores(rep), y);
                Mark("forward");
                loss.backward();
                Mark("backward");
                opt.step();
                Mark("optimizer");
                loss.item<float>();
            };
        if (mode == "infer") model.eval();
        if (compareFull)
        {
            // Pruned and full steps interleaved in one process, so a loaded machine slows both alike.
            var full = new List<double>();
            var pruned = new List<double>();
            for (int i = 0; i < warmup + 2 * steps; i++)
            {
                model.PrunePositions = i % 2 == 0;
                var sw = Stopwatch.StartNew();
                step();
                if (i >= warmup) (model.PrunePositions ? pruned : full).Add(sw.Elapsed.TotalMilliseconds);
            }
            model.PrunePositions = true;
            var ab = new Dictionary<string, object>
            {
                ["pruned_ms_median"] = Math.Round(Median(pruned), 2), ["full_ms_median"] = Math.Round(Median(full), 2),
                ["pruned_over_full"] = Math.Round(Median(pruned) / Median(full), 3),
            };
            return ab;
        }
        var times = Time(steps, warmup, step);
        long total = model.parameters().Sum(p => p.numel());
        var result = Summary(times, batch, mode == "infer" ? 0 : trainable.Sum(p => p.numel()), total);
        // Where a training step goes (medians over the timed steps; libtorch on CPU is synchronous).
        foreach (var (phase, ms) in phases.Where(p => p.Value.Count > 0))
            result[$"{phase}_ms_median"] = Math.Round(Median(ms.Skip(warmup).ToList()), 2);
        return result;
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
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
