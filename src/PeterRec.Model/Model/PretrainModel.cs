using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>
/// Backbone plus the pretraining softmax layer over source items (PeterRec §3.2). The softmax layer
/// is dropped when the backbone is reused for a task.
/// </summary>
public sealed class PretrainModel : nn.Module<Tensor, Tensor>
{
    private readonly NextItNet backbone;
    private readonly Linear softmax;

    public PretrainModel(BackboneConfig config) : base("pretrain")
    {
        backbone = new NextItNet(config);
        softmax = nn.Linear(config.Channels, config.Items);
        Init.TruncNormal(softmax.weight!);
        Init.Zeros(softmax.bias);
        RegisterComponents();
    }

    public NextItNet Backbone => backbone;
    public Tensor OutputWeight => softmax.weight!;   // [items, channels]
    public Tensor OutputBias => softmax.bias!;       // [items]

    /// <summary>Hidden states at every position.</summary>
    public override Tensor forward(Tensor ids) => backbone.forward(ids); // [batch, seq] -> [batch, seq, channels]

    /// <summary>Full-softmax logits over the source vocabulary.</summary>
    public Tensor Logits(Tensor hidden) => softmax.forward(hidden); // [..., channels] -> [..., items]
}
