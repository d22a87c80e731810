using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>
/// Dilated 1-D convolution over an item sequence (NextItNet §3.2). Causal: left-pads (k-1)*d zeros so
/// position t only sees positions &lt;= t. Non-causal (GRec): pads both sides so the window is centred.
/// </summary>
public sealed class DilatedConv1d : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly long padLeft, padRight;

    public DilatedConv1d(string name, int channels, int kernel, int dilation, bool causal) : base(name)
    {
        conv = nn.Conv1d(channels, channels, kernel, dilation: dilation);
        long total = (long)(kernel - 1) * dilation;
        padLeft = causal ? total : total / 2;
        padRight = total - padLeft;
        Init.TruncNormal(conv.weight!);
        Init.Zeros(conv.bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // [batch, channels, seq] -> [batch, channels, seq]
    {
        using var padded = nn.functional.pad(x, [padLeft, padRight]);
        return conv.forward(padded);
    }
}
