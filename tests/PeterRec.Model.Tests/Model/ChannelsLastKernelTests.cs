using PeterRec.Model.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

/// <summary>
/// The blocks run channels-last with the convolutions and patches computed as 2-D convs and matmuls, while the weights
/// keep the PyTorch Conv1d shapes. These pin that the fast forms compute what the stored Conv1d tensors mean, in the
/// PyTorch module's own channels-first layout, values and gradients alike.
/// </summary>
public class ChannelsLastKernelTests
{
    private const int Batch = 4, Seq = 13, Channels = 16, Hidden = 3;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_patch_computed_as_matmuls_equals_its_two_1x1_convolutions_in_value_and_gradient(bool serial)
    {
        manual_seed(5);
        using var patch = new ModelPatch("p", Channels, Hidden);
        using (no_grad())
            foreach (var p in patch.parameters()) p.add_(randn_like(p) * 0.3); // away from init, biases non-zero
        var w = patch.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        var x0 = randn(Batch, Seq, Channels);
        var onto0 = randn(Batch, Seq, Channels);
        var upstream = randn(Batch, Seq, Channels);

        var (fast, fastGrads) = Run(patch, x0, onto0, upstream, (x, onto) => serial ? patch.forward(x) : patch.AddDelta(x, onto));
        var (reference, refGrads) = Run(patch, x0, onto0, upstream, (x, onto) =>
        {
            var h = nn.functional.conv1d(x.transpose(1, 2), w["down.weight"], w["down.bias"]);     // [batch, hidden, seq]
            var g = nn.functional.gelu(h, GELU.Approximate.tanh);
            var delta = nn.functional.conv1d(g, w["up.weight"], w["up.bias"]).transpose(1, 2);
            return (serial ? x : onto) + delta;
        });

        AssertClose(reference, fast, "output");
        foreach (var name in refGrads.Keys) AssertClose(refGrads[name], fastGrads[name], name);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 4)]
    [InlineData(false, 2)]
    public void A_channels_last_dilated_conv_equals_conv1d_over_channels_first_input_in_value_and_gradient(bool causal, int dilation)
    {
        manual_seed(6);
        using var conv = new DilatedConv1d("c", Channels, 3, dilation, causal);
        using (no_grad())
            foreach (var p in conv.parameters()) p.add_(randn_like(p) * 0.3);
        var w = conv.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        long total = 2L * dilation, left = causal ? total : total / 2;
        var x0 = randn(Batch, Seq, Channels);
        var upstream = randn(Batch, Seq, Channels);

        var (fast, fastGrads) = Run(conv, x0, x0, upstream, (x, _) => conv.forward(x));
        var (reference, refGrads) = Run(conv, x0, x0, upstream, (x, _) =>
        {
            var padded = nn.functional.pad(x.transpose(1, 2), [left, total - left]);               // [batch, channels, seq+pad]
            return nn.functional.conv1d(padded, w["conv.weight"], w["conv.bias"], dilation: dilation).transpose(1, 2);
        });

        AssertClose(reference, fast, "output");
        foreach (var name in refGrads.Keys) AssertClose(refGrads[name], fastGrads[name], name);
    }

    // Output and the gradients of the input, the second input and every parameter for one upstream gradient.
    private static (Tensor Output, Dictionary<string, Tensor> Grads) Run(nn.Module module, Tensor x0, Tensor onto0, Tensor upstream,
                                                                         Func<Tensor, Tensor, Tensor> f)
    {
        module.zero_grad();
        var x = x0.clone().requires_grad_(true);
        var onto = onto0.clone().requires_grad_(true);
        var y = f(x, onto);
        y.backward([upstream]);
        var grads = module.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        grads["input"] = x.grad!.clone();
        grads["onto"] = onto.grad?.clone() ?? zeros(1);
        return (y.detach(), grads);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double scale = Math.Max(1.0, expected.abs().max().item<float>());
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(diff <= 1e-6 * scale, $"{what}: max difference {diff:E2} at scale {scale:F2}");
    }
}
