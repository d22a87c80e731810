using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>
/// The NextItNet backbone (PeterRec §3.1): item embedding and a stack of residual blocks of dilated
/// convolutions. Causal unless the config asks for the masked (GRec) variant. This is the part that
/// is pretrained once and then frozen while tasks train patches.
/// </summary>
public sealed class NextItNet : nn.Module<Tensor, Tensor>
{
    private readonly Embedding item_embedding;
    private readonly ModuleList<ResidualBlock> blocks;

    public BackboneConfig Config { get; }

    public NextItNet(BackboneConfig config, PatchInsertion insertion = PatchInsertion.None, int patchHidden = 0)
        : base("backbone")
    {
        config.Validate();
        Config = config;
        item_embedding = nn.Embedding(config.Items, config.Channels, padding_idx: 0);
        Init.TruncNormal(item_embedding.weight!);
        using (no_grad()) item_embedding.weight![0].zero_();
        blocks = new ModuleList<ResidualBlock>(config.Dilations.Select((d, i) =>
            new ResidualBlock($"block{i}", config.Channels, config.Kernel, d, causal: !config.Masked, insertion, patchHidden)).ToArray());
        RegisterComponents();
    }

    public int BlockCount => blocks.Count;

    /// <summary>Looks up item vectors; padding (id 0) maps to the zero vector.</summary>
    public Tensor Embed(Tensor ids) => item_embedding.forward(ids); // [batch, seq] -> [batch, seq, channels]

    public Tensor EmbeddingWeight => item_embedding.weight!;        // [items, channels]

    /// <summary>
    /// Runs the residual stack over already-embedded positions. Padding positions (mask 0) are reset
    /// to zero inside every block, so they look exactly like the causal convolution's own zero padding
    /// and a history's representation does not depend on how much padding precedes it.
    /// </summary>
    public Tensor Encode(Tensor embedded, Tensor? mask = null) // [batch, seq, channels], [batch, seq] -> [batch, seq, channels]
    {
        using var scope = NewDisposeScope();
        var h = embedded.transpose(1, 2);                  // [batch, channels, seq]
        var m = mask?.unsqueeze(1).to(h.dtype);            // [batch, 1, seq]
        if (m is not null) h = h * m;
        foreach (var block in blocks) h = block.Forward(h, m);
        return h.transpose(1, 2).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>1 where a real item (or mask token) sits, 0 on padding.</summary>
    public static Tensor PaddingMask(Tensor ids) => ids.ne(0); // [batch, seq]

    public override Tensor forward(Tensor ids) // [batch, seq] -> [batch, seq, channels]
    {
        using var e = Embed(ids);
        using var mask = PaddingMask(ids);
        return Encode(e, mask);
    }
}
