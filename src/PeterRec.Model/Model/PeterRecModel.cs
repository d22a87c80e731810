using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>
/// A fine-tuned task over a (usually frozen) NextItNet backbone (PeterRec §3.3–3.4).
/// Input <c>[x1..xn, CLS]</c>; the user representation is the top layer at the CLS position
/// (causal backbone) or <c>h[first] + h[last]</c> of <c>[CLS, x.., CLS]</c> (masked backbone).
/// A target <c>y</c> scores <c>&lt;rep, E_t[y]&gt;</c> with a new target embedding table; profile
/// classes are targets too.
/// </summary>
public sealed class PeterRecModel : nn.Module<Tensor, Tensor>
{
    private readonly NextItNet backbone;
    private readonly Parameter cls_embedding;     // [channels]
    private readonly Parameter target_embedding;  // [targets, channels]

    public FineTuneMode Mode { get; }
    public int PatchHidden { get; }
    public int Targets { get; }
    public BackboneConfig Config => backbone.Config;

    public PeterRecModel(BackboneConfig config, FineTuneMode mode, int targets, int patchHidden) : base("peterrec")
    {
        if (targets < 1) throw new ArgumentException("a task needs at least one target");
        if (mode.Insertion() != PatchInsertion.None && (patchHidden < 1 || patchHidden > config.Channels))
            throw new ArgumentException($"patch size {patchHidden}: expected 1..{config.Channels}");
        Mode = mode;
        PatchHidden = mode.Insertion() == PatchInsertion.None ? 0 : patchHidden;
        Targets = targets;
        backbone = new NextItNet(config, mode.Insertion(), PatchHidden);
        cls_embedding = new Parameter(empty(config.Channels));
        target_embedding = new Parameter(empty(targets, config.Channels));
        Init.TruncNormal(cls_embedding);
        Init.TruncNormal(target_embedding);
        RegisterComponents();
        ApplyFreezing();
    }

    /// <summary>
    /// Default bottleneck: C/8, which keeps each patch under 1/10 of a kernel-3 conv from C=32 up (8.9% at C=64). At
    /// small widths the biases tip it over (10.5% at C=16) and below C=10 no width does: the default stays C/8 so tasks,
    /// checkpoints and published versions keep their shapes, and <see cref="PatchBudgetWarning"/> says so.
    /// </summary>
    public static int DefaultPatchHidden(int channels) => Math.Max(1, channels / 8);

    /// <summary>The paper's bound: a patch holds under this share of the parameters of the conv it patches.</summary>
    public const double PatchBudget = 0.1;

    /// <summary>Parameters of a patch of bottleneck <paramref name="hidden"/> over those of a kernel-<paramref name="kernel"/> conv of C channels.</summary>
    public static double PatchRatio(int channels, int kernel, int hidden) =>
        (double)ModelPatch.ParameterCount(channels, hidden) / ((long)channels * channels * kernel + channels);

    /// <summary>A one-line warning when patches of <paramref name="hidden"/> break the under-1/10 bound, else null.</summary>
    public static string? PatchBudgetWarning(int channels, int kernel, int hidden, bool isDefault)
    {
        var ratio = PatchRatio(channels, kernel, hidden);
        if (ratio < PatchBudget) return null;
        var fits = Enumerable.Range(1, channels).LastOrDefault(h => PatchRatio(channels, kernel, h) < PatchBudget);
        return $"each patch holds {ratio:F3} of its conv's parameters, not under 1/10 (the paper's bound), at {channels} channels with " +
               $"patch size {hidden}{(isDefault ? " (the default, C/8)" : "")}; " +
               (fits > 0 ? $"--patch-size {fits} keeps it under" : $"no patch size keeps it under at {channels} channels: pretrain wider (--emb 16 with --patch-size 1, or 32+)");
    }

    public NextItNet Backbone => backbone;

    /// <summary>
    /// Compute each layer only at the positions the representation depends on (<see cref="NextItNet.EncodeAt"/>;
    /// outputs and gradients equal the full computation). Off: every position, the reference the tests compare with.
    /// </summary>
    public bool PrunePositions { get; set; } = true;

    public Tensor TargetWeight => target_embedding; // [targets, channels]

    /// <summary>Sets requires_grad per the mode; must run before an optimizer is built.</summary>
    private void ApplyFreezing()
    {
        foreach (var (name, p) in named_parameters())
            p.requires_grad = Mode.IsTrainable(name, backbone.BlockCount);
    }

    public IEnumerable<(string Name, Parameter Param)> TrainableParameters() =>
        named_parameters().Where(np => np.parameter.requires_grad).Select(np => (np.name, np.parameter));

    /// <summary>User representations from left-padded source sequences.</summary>
    public override Tensor forward(Tensor ids) // [batch, seq] -> [batch, channels]
    {
        using var scope = NewDisposeScope();
        var batch = ids.shape[0];
        var items = backbone.Embed(ids);                                         // [batch, seq, channels]
        var cls = cls_embedding.view(1, 1, -1).expand(batch, 1, -1);             // [batch, 1, channels]
        var real = NextItNet.PaddingMask(ids);                                   // [batch, seq]
        var one = ones(batch, 1, ScalarType.Bool, ids.device);
        Tensor rep;
        if (!Config.Masked)
        {
            var x = cat([items, cls], 1);                                        // [batch, seq+1, channels]
            var m = cat([real, one], 1);
            rep = PrunePositions ? backbone.EncodeAt(x, m, [x.shape[1] - 1]).select(1, 0)
                : backbone.Encode(x, m).select(1, -1);
        }
        else
        {
            var x = cat([cls, items, cls], 1);                                   // [batch, seq+2, channels]
            var m = cat([one, real, one], 1);
            var h = PrunePositions ? backbone.EncodeAt(x, m, [0, x.shape[1] - 1]) : backbone.Encode(x, m);
            rep = h.select(1, 0) + h.select(1, -1);
        }
        return rep.MoveToOuterDisposeScope();                                    // [batch, channels]
    }

    /// <summary>Scores over every target.</summary>
    public Tensor Scores(Tensor rep) => rep.matmul(target_embedding.t()); // [batch, channels] -> [batch, targets]

    /// <summary>Scores of chosen targets per user.</summary>
    public Tensor ScoresOf(Tensor rep, Tensor targetIds) // [batch, channels], [batch, k] -> [batch, k]
    {
        using var e = target_embedding.index_select(0, targetIds.flatten()).view(targetIds.shape[0], targetIds.shape[1], -1);
        using var r = rep.unsqueeze(2);                                           // [batch, channels, 1]
        using var s = e.bmm(r);                                                   // [batch, k, 1]
        return s.squeeze(2);
    }
}
