using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;

namespace PeterRec.Chaos;

/// <summary>
/// A small random "pretrained" backbone over the chaos stream's items (i0..iN): the fault-injection run tests delivery,
/// not model quality, so it skips pretraining and keeps the trainer and serving cheap.
/// </summary>
public static class ChaosBackbone
{
    public static string Item(int i) => $"i{i}";

    public static string Create(string dir, int items, int maxSeq, int seed)
    {
        if (File.Exists(Path.Combine(dir, "config.json"))) Directory.Delete(dir, recursive: true);
        TorchSharp.torch.manual_seed(seed);
        var vocab = Vocabulary.Build(Enumerable.Range(0, items).Select(Item), Vocabulary.SourceSpecials);
        var config = new BackboneConfig { Items = vocab.Count, Channels = 16, Dilations = [1, 2, 4], MaxSeq = maxSeq };
        using var backbone = new NextItNet(config);
        using (TorchSharp.torch.no_grad())
            foreach (var (name, p) in backbone.named_parameters())
                if (name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains(".ln", StringComparison.Ordinal))
                    p.normal_(0, 0.1);
        ModelStore.SaveBackbone(dir, backbone, vocab);
        return dir;
    }
}
