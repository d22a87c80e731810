using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>
/// Dilated 1-D convolution over an item sequence (NextItNet §3.2). Causal: left-pads (k-1)*d zeros so
/// position t only sees positions &lt;= t. Non-causal (GRec): pads both sides so the window is centred.
/// </summary>
/// <remarks>
/// Activations are channels-last (<c>[batch, seq, channels]</c>) so that LayerNorm and the patches need no
/// transposes; the weight keeps the PyTorch Conv1d shape <c>[Cout, Cin, k]</c>. The conv runs as a 2-D conv over a
/// height-1 image in channels-last memory format, which oneDNN computes directly and returns channels-last.
/// </remarks>
public sealed class DilatedConv1d : nn.Module<Tensor, Tensor>
{
    private readonly Conv1d conv;
    private readonly long padLeft, padRight;
    private readonly long dilation;

    public ConvGeometry Geometry { get; }

    public DilatedConv1d(string name, int channels, int kernel, int dilation, bool causal) : base(name)
    {
        conv = nn.Conv1d(channels, channels, kernel, dilation: dilation);
        long total = (long)(kernel - 1) * dilation;
        padLeft = causal ? total : total / 2;
        padRight = total - padLeft;
        this.dilation = dilation;
        Geometry = new ConvGeometry(kernel, dilation, (int)padLeft);
        Init.TruncNormal(conv.weight!);
        Init.Zeros(conv.bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // [batch, seq, channels] -> [batch, seq, channels]
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], seq = x.shape[1], channels = x.shape[2];
        var padded = nn.functional.pad(x, [0, 0, padLeft, padRight]);                   // [batch, seq+pad, Cin]
        var image = padded.unsqueeze(1).permute(0, 3, 1, 2);                            // [batch, Cin, 1, seq+pad], NHWC in memory
        var y = nn.functional.conv2d(image, conv.weight!.unsqueeze(2), conv.bias, dilation: [1, dilation]);
        // A view when oneDNN kept channels-last (it does); a copy otherwise, so the result is right either way.
        return y.permute(0, 2, 3, 1).reshape(batch, seq, conv.weight!.shape[0]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The same convolution at chosen output positions only: the taps each output reads are gathered
    /// (index 0 of <paramref name="tapIndex"/> is a zero row, the conv's padding) and contracted with
    /// the kernel in one matmul, <c>G[batch*n, k*Cin] x W[k*Cin, Cout]</c> (im2col over n positions).
    /// </summary>
    public Tensor ForwardAt(Tensor x, Tensor tapIndex) // [batch, m, channels], [k*n] -> [batch, n, channels]
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], channels = x.shape[2], k = Geometry.Kernel, n = tapIndex.shape[0] / k;
        var withZero = nn.functional.pad(x, [0, 0, 1, 0]);                               // [batch, 1+m, Cin]
        var taps = withZero.index_select(1, tapIndex).view(batch, k, n, channels)        // tap-major, as TapIndex lays out
            .permute(0, 2, 1, 3).reshape(batch * n, k * channels);                       // [batch*n, k*Cin]: (j, cin) major
        var w = conv.weight!.permute(2, 1, 0).reshape(k * channels, -1);                 // [k*Cin, Cout]
        var y = conv.bias is null ? taps.mm(w) : addmm(conv.bias, taps, w, 1, 1);        // [batch*n, Cout]
        return y.view(batch, n, -1).MoveToOuterDisposeScope();
    }
}
