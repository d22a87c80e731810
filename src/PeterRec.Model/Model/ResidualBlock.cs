using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>
/// NextItNet residual block (NextItNet §3.3, PeterRec Fig. 3):
/// <c>out = x + ReLU(LN2(conv_2d(ReLU(LN1(conv_d(x))))))</c>, LayerNorm over channels (eps 1e-8).
/// Optional model patches after each conv (serial) or beside it (parallel), PeterRec §3.3.
/// </summary>
/// <summary>
/// Index tensors that run one block on a subset of positions (see <see cref="PositionPlan"/>): conv taps
/// (<see cref="DilatedConv1d.ForwardAt"/>), where a stage's output positions sit among its input positions,
/// and the padding mask at the middle and output positions ([batch, 1, n]). Null: every position.
/// </summary>
public sealed record BlockGather(Tensor? Tap1, Tensor? MiddleInInput, Tensor? Tap2, Tensor? OutputInMiddle,
    Tensor? OutputInInput, Tensor? MaskMiddle, Tensor? MaskOutput);

public sealed class ResidualBlock : nn.Module<Tensor, Tensor>
{
    private readonly DilatedConv1d conv1, conv2;
    private readonly LayerNorm ln1, ln2;
    private readonly ModelPatch? patch1, patch2;
    private readonly PatchInsertion insertion;

    public ResidualBlock(string name, int channels, int kernel, int dilation, bool causal,
                         PatchInsertion insertion = PatchInsertion.None, int patchHidden = 0) : base(name)
    {
        conv1 = new DilatedConv1d("conv1", channels, kernel, dilation, causal);
        ln1 = nn.LayerNorm(channels, eps: 1e-8);
        conv2 = new DilatedConv1d("conv2", channels, kernel, 2 * dilation, causal);
        ln2 = nn.LayerNorm(channels, eps: 1e-8);
        this.insertion = insertion;
        if (insertion != PatchInsertion.None)
        {
            patch1 = new ModelPatch("patch1", channels, patchHidden);
            patch2 = new ModelPatch("patch2", channels, patchHidden);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null); // [batch, channels, seq] -> [batch, channels, seq]

    /// <summary>
    /// With a padding mask ([batch, 1, seq], 1 = real position) padding positions are zeroed after
    /// each conv stage, so later positions see exactly the zeros causal padding would give them.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? mask) // [batch, channels, seq] -> [batch, channels, seq]
    {
        using var scope = NewDisposeScope();
        var h = Patched(conv1, patch1, x);                  // [batch, channels, seq]
        h = nn.functional.relu(ChannelNorm(ln1, h));
        if (mask is not null) h = h * mask;
        h = Patched(conv2, patch2, h);
        h = nn.functional.relu(ChannelNorm(ln2, h));
        var output = x + h;
        if (mask is not null) output = output * mask;
        return output.MoveToOuterDisposeScope();
    }

    public (ConvGeometry First, ConvGeometry Second) Geometry => (conv1.Geometry, conv2.Geometry);

    /// <summary>
    /// <see cref="Forward"/> on a subset of positions (<see cref="PositionPlan"/>): x holds the block's input
    /// positions, the result its output positions; a null gather means "every position" (the dense path).
    /// </summary>
    public Tensor ForwardAt(Tensor x, BlockGather g) // [batch, channels, |input|] -> [batch, channels, |output|]
    {
        using var scope = NewDisposeScope();
        var h = PatchedAt(conv1, patch1, x, g.Tap1, g.MiddleInInput);                 // [batch, channels, |middle|]
        h = nn.functional.relu(ChannelNorm(ln1, h));
        if (g.MaskMiddle is not null) h = h * g.MaskMiddle;
        h = PatchedAt(conv2, patch2, h, g.Tap2, g.OutputInMiddle);                    // [batch, channels, |output|]
        h = nn.functional.relu(ChannelNorm(ln2, h));
        var output = Select(x, g.OutputInInput) + h;
        if (g.MaskOutput is not null) output = output * g.MaskOutput;
        return output.MoveToOuterDisposeScope();
    }

    private Tensor PatchedAt(DilatedConv1d conv, ModelPatch? patch, Tensor x, Tensor? tap, Tensor? self)
    {
        var c = tap is null ? conv.forward(x) : conv.ForwardAt(x, tap);
        return insertion switch
        {
            PatchInsertion.Serial => patch!.forward(c),
            PatchInsertion.Parallel => c + patch!.Delta(Select(x, self)),
            _ => c,
        };
    }

    private static Tensor Select(Tensor x, Tensor? positions) => positions is null ? x : x.index_select(2, positions);

    private Tensor Patched(DilatedConv1d conv, ModelPatch? patch, Tensor x)
    {
        var c = conv.forward(x);
        return insertion switch
        {
            PatchInsertion.Serial => patch!.forward(c),
            PatchInsertion.Parallel => c + patch!.Delta(x),
            _ => c,
        };
    }

    // LayerNorm normalises the last dimension; convs keep channels second.
    private static Tensor ChannelNorm(LayerNorm ln, Tensor x) => ln.forward(x.transpose(1, 2)).transpose(1, 2);
}
