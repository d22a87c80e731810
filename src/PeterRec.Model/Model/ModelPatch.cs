using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>Where model patches sit in a residual block (PeterRec §3.3, Fig. 3).</summary>
public enum PatchInsertion { None, Serial, Parallel }

/// <summary>
/// A model patch (PeterRec §3.3): a bottleneck of two 1x1 convolutions with a GELU between them,
/// <c>delta(x) = up(gelu_tanh(down(x)))</c>. Weights start at sd 0.02 and biases at zero, so the
/// patch starts near identity and fine-tuning begins from the pretrained function.
/// </summary>
/// <remarks>
/// The weights are stored as the PyTorch module's 1x1 Conv1d tensors (<c>[hidden, C, 1]</c>, <c>[C, hidden, 1]</c>),
/// but computed as two matmuls over channels-last rows. Each product is written so that it and the products autograd
/// derives from it have a wide output (<c>[hidden, rows]</c>, <c>[hidden, C]</c>, <c>[rows, C]</c>): BLAS on one
/// thread runs a product with an 8-wide output 3-5x slower than its transpose, and a 1x1 Conv1d costs ~4x the
/// matmuls. The up bias rides in the second product as a row of ones beside the hidden activations, so its gradient
/// is a matmul row too rather than a column sum over every position.
/// </remarks>
public sealed class ModelPatch : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d down, up;

    public ModelPatch(string name, int channels, int hidden) : base(name)
    {
        down = nn.Conv1d(channels, hidden, 1);
        up = nn.Conv1d(hidden, channels, 1);
        foreach (var c in new[] { down, up })
        {
            Init.TruncNormal(c.weight!);
            Init.Zeros(c.bias);
        }
        RegisterComponents();
    }

    /// <summary>Parameters of one patch: two 1x1 convs with biases.</summary>
    public static long ParameterCount(int channels, int hidden) => 2L * channels * hidden + hidden + channels;

    /// <summary>
    /// <c>onto + delta(x)</c>: serial insertion passes the conv output as both, parallel adds the branch of the conv's
    /// input onto the conv's output.
    /// </summary>
    public Tensor AddDelta(Tensor x, Tensor onto) // [batch, seq, channels] twice -> [batch, seq, channels]
    {
        using var scope = NewDisposeScope();
        long channels = x.shape[^1], hidden = down.weight!.shape[0];
        var rows = x.reshape(-1, channels);                                                  // [n, C]
        var wDown = down.weight!.view(hidden, channels);                                     // [H, C]
        var hT = addmm(down.bias!.view(hidden, 1), wDown, rows.t(), 1, 1);                   // [H, n]
        var gT = nn.functional.gelu(hT, GELU.Approximate.tanh);
        var gOnes = cat([gT, ones(1, gT.shape[1], gT.dtype, gT.device)], 0);                 // [H+1, n]
        var wUp = cat([up.weight!.view(channels, hidden), up.bias!.view(channels, 1)], 1)     // [C, H+1]
            .t().contiguous();                                                               // [H+1, C]
        var y = addmm(onto.reshape(-1, channels), gOnes.t(), wUp, 1, 1);                     // [n, C]
        return y.view(onto.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Serial insertion: <c>x + delta(x)</c>, right after the conv it patches.</summary>
    public override Tensor forward(Tensor x) => AddDelta(x, x); // [batch, seq, channels]
}
