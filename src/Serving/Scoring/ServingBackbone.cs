using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Serving.Scoring;

/// <summary>A user's representation and top-N targets under one published version.</summary>
public sealed record ScoredUser(float[] Rep, IReadOnlyList<(string Label, float Score)> Top);

/// <summary>
/// The one frozen backbone of a serving process, shared by every task: a single <see cref="PeterRecModel"/> whose
/// backbone holds the pretrained weights; before a task's batch its small per-task tensors (patches, second
/// LayerNorms, CLS; tens of KB) are copied in, under a lock, and its head multiplies the representations outside the
/// model. So N tasks cost one backbone in memory plus N task weight sets, and a task's forward can never see another task's
/// tensors. The lock serialises forwards, which libtorch parallelises internally anyway.
/// </summary>
public sealed class ServingBackbone : IDisposable
{
    private readonly PeterRecModel _shell;
    private readonly Dictionary<string, TorchSharp.Modules.Parameter> _taskParams;
    private readonly Device _device;
    private readonly object _gate = new();

    public ServingBackbone(string backboneDir, int patchHidden, string device)
    {
        var config = ModelStore.LoadBackboneConfig(backboneDir);
        if (config.Masked) throw new ArgumentException($"{backboneDir}: serving needs a causal backbone, this one is masked (GRec)");
        SourceVocab = ModelStore.LoadSourceVocab(backboneDir);
        Fingerprint = ModelStore.Fingerprint(backboneDir);
        _device = Devices.Pick(device);
        var hidden = patchHidden > 0 ? patchHidden : PeterRecModel.DefaultPatchHidden(config.Channels);
        // One target row: the head lives in each ServedVersion, not in the shell.
        _shell = new PeterRecModel(config, FineTuneMode.PeterRecSerial, targets: 1, hidden);
        ModelStore.LoadBackboneWeights(backboneDir, _shell.Backbone);
        _shell.to(_device);
        _shell.eval();
        _taskParams = _shell.TrainableParameters().Where(p => p.Name != ServedVersion.HeadName).ToDictionary(p => p.Name, p => p.Param);
        TaskTensorShapes = _taskParams.ToDictionary(kv => kv.Key, kv => kv.Value.shape);
    }

    public Vocabulary SourceVocab { get; }
    public string Fingerprint { get; }
    public int Channels => _shell.Config.Channels;
    public int MaxSeq => _shell.Config.MaxSeq;
    public int PatchHidden => _shell.PatchHidden;
    public string Mode => _shell.Mode.Name();

    /// <summary>Names and shapes a version must bring besides its head.</summary>
    public IReadOnlyDictionary<string, long[]> TaskTensorShapes { get; }

    public int[] EncodeSource(IEnumerable<string> items) => [.. items.Select(SourceVocab.IdOrUnk)];

    /// <summary>Representations and the <paramref name="topN"/> best targets of each source sequence under <paramref name="version"/>.</summary>
    public IReadOnlyList<ScoredUser> Score(ServedVersion version, IReadOnlyList<int[]> sources, int topN)
    {
        if (sources.Count == 0) return [];
        int channels = Channels, labels = version.Labels.Count, k = Math.Min(topN, labels);
        float[] reps, topScores = [];
        long[] topRows = [];
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            // Pad the batch to a power of two: every distinct input shape gets its own cached conv kernels inside
            // libtorch, so arbitrary batch sizes made serving's native memory grow for as long as new sizes came.
            var padded = sources.Count == BatchBucket(sources.Count) ? sources
                : [.. sources, .. Enumerable.Repeat(Array.Empty<int>(), BatchBucket(sources.Count) - sources.Count)];
            var ids = Sequences.LeftPad(padded, MaxSeq, _device);                    // [bucket, seq]
            Tensor rep;
            lock (_gate)
            {
                foreach (var (name, (shape, data)) in version.Tensors) _taskParams[name].copy_(tensor(data, shape));
                rep = _shell.forward(ids);                                           // [batch, channels]
            }
            rep = rep.narrow(0, 0, sources.Count);                                  // [batch, channels]
            reps = rep.cpu().data<float>().ToArray();
            if (k > 0)
            {
                var head = tensor(version.Head, [labels, channels], device: _device);  // [labels, channels]
                var (values, indices) = rep.matmul(head.t()).topk(k, dim: 1);        // [batch, k]
                topScores = values.cpu().data<float>().ToArray();
                topRows = indices.cpu().data<long>().ToArray();
            }
        }
        var result = new ScoredUser[sources.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var top = new (string, float)[k];
            for (int j = 0; j < k; j++) top[j] = (version.Labels[(int)topRows[i * k + j]], topScores[i * k + j]);
            result[i] = new ScoredUser(reps[(i * channels)..((i + 1) * channels)], top);
        }
        return result;
    }

    /// <summary>The next power of two at or above <paramref name="count"/>.</summary>
    public static int BatchBucket(int count) => count <= 1 ? 1 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count);

    public void Dispose() => _shell.Dispose();
}
