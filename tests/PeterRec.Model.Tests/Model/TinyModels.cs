using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

/// <summary>Small configurations that keep model tests to milliseconds.</summary>
internal static class TinyModels
{
    public static BackboneConfig Config(bool masked = false, int items = 40) => new()
    {
        Items = items, Channels = 16, Kernel = 3, Dilations = [1, 2, 1, 2], MaxSeq = 12,
        Masked = masked, MaskId = masked ? items - 1 : -1,
    };

    public static Tensor RandomIds(int batch, int seq, int items, int seed)
    {
        var g = new Random(seed);
        var data = new long[batch * seq];
        for (int i = 0; i < data.Length; i++) data[i] = g.Next(2, items);
        return tensor(data, [batch, seq]);
    }

    public static Vocabulary Vocab(int items) =>
        Vocabulary.Build(Enumerable.Range(0, items - Vocabulary.SourceSpecials.Length).Select(i => $"s{i}"), Vocabulary.SourceSpecials);

    /// <summary>Writes a randomly initialised backbone as if pretrained.</summary>
    public static string SaveBackbone(string dir, BackboneConfig config, int seed = 1)
    {
        manual_seed(seed);
        using var backbone = new NextItNet(config);
        ModelStore.SaveBackbone(dir, backbone, Vocab(config.Items));
        return dir;
    }

    /// <summary>Same shape and the same bits in every element (NaN and -0.0 included).</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var x = a.detach().cpu().contiguous().to(ScalarType.Float32);
        using var y = b.detach().cpu().contiguous().to(ScalarType.Float32);
        var xs = x.data<float>().ToArray();
        var ys = y.data<float>().ToArray();
        return System.Runtime.InteropServices.MemoryMarshal.AsBytes(xs.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(ys.AsSpan()));
    }

    public static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
}
