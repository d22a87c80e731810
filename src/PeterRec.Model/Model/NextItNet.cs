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

    /// <summary>
    /// <see cref="Encode"/> at chosen positions only, each layer computed only where the answer depends on it
    /// (<see cref="PositionPlan"/>); equal to the full stack's rows at those positions. Leading columns that
    /// are padding in every row are dropped first: they hold zeros in every block, exactly what a causal
    /// conv's own zero padding gives.
    /// </summary>
    public Tensor EncodeAt(Tensor embedded, Tensor mask, long[] positions) // [batch, seq, channels], [batch, seq] -> [batch, |positions|, channels]
    {
        using var scope = NewDisposeScope();
        long seq = embedded.shape[1];
        long trim = Math.Min(LeadingPadding(mask), positions.Min());
        int length = checked((int)(seq - trim));
        var plan = Plan(length, [.. positions.Select(p => p - trim)]);
        var dev = embedded.device;
        Tensor Index(long[] a) => tensor(a, device: dev);
        var kept = mask.narrow(1, trim, length);
        // No padding left (full windows, as in most training batches): the mask multiplies would be identities.
        Tensor? m = kept.all().item<bool>() ? null : kept.unsqueeze(1).to(embedded.dtype); // [batch, 1, length]
        var h = embedded.narrow(1, trim, length).transpose(1, 2);                      // [batch, channels, length]
        var bottom = plan.Blocks[0].Input;
        if (!plan.IsAll(bottom)) h = h.index_select(2, Index(bottom));
        if (m is not null) h = h * (plan.IsAll(bottom) ? m : m.index_select(2, Index(bottom)));
        for (int b = 0; b < blocks.Count; b++)
        {
            var (input, middle, output) = plan.Blocks[b];
            if (plan.IsAll(input) && plan.IsAll(output)) { h = blocks[b].Forward(h, m); continue; }
            var (g1, g2) = blocks[b].Geometry;
            h = blocks[b].ForwardAt(h, new BlockGather(
                plan.IsAll(middle) ? null : Index(PositionPlan.TapIndex(input, middle, g1)),
                middle.Length == input.Length ? null : Index(PositionPlan.IndexOf(input, middle)),
                plan.IsAll(output) ? null : Index(PositionPlan.TapIndex(middle, output, g2)),
                output.Length == middle.Length ? null : Index(PositionPlan.IndexOf(middle, output)),
                output.Length == input.Length ? null : Index(PositionPlan.IndexOf(input, output)),
                m is null || plan.IsAll(middle) ? m : m.index_select(2, Index(middle)),
                m is null || plan.IsAll(output) ? m : m.index_select(2, Index(output))));
        }
        // The top block's output positions are the wanted ones, ascending.
        return h.transpose(1, 2).MoveToOuterDisposeScope();
    }

    private readonly Dictionary<(int Length, string Wanted), PositionPlan> plans = [];

    private PositionPlan Plan(int length, long[] wanted)
    {
        var key = (length, string.Join(',', wanted));
        lock (plans)
        {
            if (!plans.TryGetValue(key, out var plan))
                plans[key] = plan = PositionPlan.For(length, [.. blocks.Select(b => b.Geometry)], wanted);
            return plan;
        }
    }

    // Columns before the first real item of any row: a CPU read of the mask, worth it because online windows are short.
    private static long LeadingPadding(Tensor mask)
    {
        using var any = mask.any(0).cpu();                                               // [seq]
        var cols = any.data<bool>();
        long n = 0;
        while (n < cols.Count && !cols[n]) n++;
        return n;
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
