using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>The reference code's initialisation: truncated normal sd 0.02 (cut at 2 sd), zero biases.</summary>
internal static class Init
{
    public const double Std = 0.02;

    public static void TruncNormal(Tensor weight, double std = Std)
    {
        using var _ = no_grad();
        nn.init.trunc_normal_(weight, 0, std, -2 * std, 2 * std);
    }

    public static void Zeros(Tensor? bias)
    {
        if (bias is null) return;
        using var _ = no_grad();
        bias.zero_();
    }
}
