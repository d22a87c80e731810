using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>A tiny random "pretrained" backbone on disk (no pretraining: plumbing tests need only its shape).</summary>
public sealed class TinyBackbone : IDisposable
{
    public const int SourceItems = 48;

    public TinyBackbone(int channels = 32, int seed = 11)
    {
        Dir = Path.Combine(Path.GetTempPath(), $"peterrec-backbone-{Guid.NewGuid():N}");
        TorchSharp.torch.manual_seed(seed);
        var vocab = Vocabulary.Build(Enumerable.Range(0, SourceItems).Select(Item), Vocabulary.SourceSpecials);
        var config = new BackboneConfig { Items = vocab.Count, Channels = channels, Dilations = [1, 2], MaxSeq = 8 };
        using var backbone = new NextItNet(config);
        // Stand-in for pretrained weights: random, not the constant that nn.init.trunc_normal_ gives in TorchSharp 0.107.
        using (TorchSharp.torch.no_grad())
            foreach (var (name, p) in backbone.named_parameters())
                if (name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains(".ln", StringComparison.Ordinal))
                    p.normal_(0, 0.1);
        ModelStore.SaveBackbone(Dir, backbone, vocab);
    }

    public string Dir { get; }

    public static string Item(int i) => $"s{i}";

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>
/// A stream whose label is a fixed function of the user's last click (label = t[last % targets]), so a patch and head
/// can learn it online while an untrained head ranks it at chance.
/// </summary>
public sealed class SyntheticTaskStream(int targets, int seed = 3)
{
    private readonly Random _rng = new(seed);

    public static string Label(string lastItem, int targets) => $"t{int.Parse(lastItem.AsSpan(1)) % targets}";

    /// <summary>A random window of 3..8 clicks and its label.</summary>
    public (string[] Window, string Label) Next()
    {
        var window = Enumerable.Range(0, _rng.Next(3, 9)).Select(_ => TinyBackbone.Item(_rng.Next(TinyBackbone.SourceItems))).ToArray();
        return (window, Label(window[^1], targets));
    }
}

public static class TensorAssert
{
    /// <summary>Same shape and bit-equal elements (TorchSharp's <c>equal</c> is element-wise).</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
