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

    public ConvGeometry Geometry { get; }

    public DilatedConv1d(string name, int channels, int kernel, int dilation, bool causal) : base(name)
    {
        conv = nn.Conv1d(channels, channels, kernel, dilation: dilation);
        long total = (long)(kernel - 1) * dilation;
        padLeft = causal ? total : total / 2;
        padRight = total - padLeft;
        Geometry = new ConvGeometry(kernel, dilation, (int)padLeft);
        Init.TruncNormal(conv.weight!);
        Init.Zeros(conv.bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // [batch, channels, seq] -> [batch, channels, seq]
    {
        using var padded = nn.functional.pad(x, [padLeft, padRight]);
        return conv.forward(padded);
    }

    /// <summary>
    /// The same convolution at chosen output positions only: the taps each output reads are gathered
    /// (index 0 of <paramref name="tapIndex"/> is a zero column, the conv's padding) and contracted with
    /// the kernel in one matmul, <c>W[Cout, Cin*k] x G[batch, Cin*k, n]</c> (im2col over n positions).
    /// </summary>
    public Tensor ForwardAt(Tensor x, Tensor tapIndex) // [batch, channels, m], [k*n] -> [batch, channels, n]
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], channels = x.shape[1], k = Geometry.Kernel, n = tapIndex.shape[0] / k;
        var withZero = nn.functional.pad(x, [1, 0]);                                    // [batch, Cin, 1+m]
        var taps = withZero.index_select(2, tapIndex).view(batch, channels * k, n);      // [batch, Cin*k, n]: (cin, j) major
        var w = conv.weight!.view(conv.weight!.shape[0], channels * k);                  // [Cout, Cin*k]
        var y = w.matmul(taps);                                                          // [batch, Cout, n]
        if (conv.bias is not null) y = y + conv.bias.view(1, -1, 1);
        return y.MoveToOuterDisposeScope();
    }
}
