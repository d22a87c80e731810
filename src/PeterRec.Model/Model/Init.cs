using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>The reference code's initialisation: truncated normal sd 0.02 (cut at 2 sd), zero biases.</summary>
internal static class Init
{
    public const double Std = 0.02;

    /// <summary>
    /// Normal(0, sd) redrawn outside +-2 sd, as TF's truncated_normal. Written out because
    /// TorchSharp 0.107's nn.init.trunc_normal_ filled tensors with a constant here (caught by the
    /// causality test: identical channels made every position look alike).
    /// </summary>
    public static void TruncNormal(Tensor weight, double std = Std)
    {
        // Vocabulary-sized tables (10^6 x 64) in row chunks: the redraw's temporaries are four table-sized tensors
        // otherwise, and a jemalloc that never returns dirty pages kept them as several GB of peak RSS.
        const long ChunkRows = 65536;
        if (weight.dim() > 0 && weight.shape[0] > ChunkRows)
        {
            for (long start = 0; start < weight.shape[0]; start += ChunkRows)
            {
                using var chunk = weight.narrow(0, start, Math.Min(ChunkRows, weight.shape[0] - start));
                TruncNormal(chunk, std);
            }
            return;
        }
        using var _ = no_grad();
        weight.normal_(0, std);
        for (int round = 0; round < 16; round++)
        {
            // Every temporary of a round (abs, the mask, any, the redraw) is freed here, not left to the finalizer:
            // undisposed abs() results of a 10^6-row table were ~1.6 GB of the peak RSS of sampled pretraining.
            using var scope = NewDisposeScope();
            var outside = weight.abs().gt(2 * std);
            if (!outside.any().item<bool>()) return;
            weight.copy_(where(outside, empty_like(weight).normal_(0, std), weight));
        }
        weight.clamp_(-2 * std, 2 * std);
    }

    public static void Zeros(Tensor? bias)
    {
        if (bias is null) return;
        using var _ = no_grad();
        bias.zero_();
    }
}
