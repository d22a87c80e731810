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

    /// <summary>The bottleneck branch alone; parallel insertion adds it beside a conv.</summary>
    public Tensor Delta(Tensor x) // [batch, channels, seq] -> [batch, channels, seq]
    {
        using var h = down.forward(x);                                             // [batch, hidden, seq]
        using var g = nn.functional.gelu(h, GELU.Approximate.tanh);
        return up.forward(g);
    }

    /// <summary>Serial insertion: <c>x + delta(x)</c>, right after the conv it patches.</summary>
    public override Tensor forward(Tensor x) // [batch, channels, seq]
    {
        using var d = Delta(x);
        return x + d;
    }
}
