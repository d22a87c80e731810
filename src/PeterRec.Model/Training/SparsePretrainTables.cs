using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>
/// Sampled-softmax pretraining with the three vocabulary-sized tables (item embedding, softmax weight and
/// bias) updated row-sparsely by <see cref="LazyAdam"/>: a step touches the batch's items, its labels and the
/// shared negatives, so its cost no longer grows with the catalogue (10^6 items: 2 x 256 MB tables and their
/// Adam moments stay in memory, but a step reads a few thousand rows of them). The rest of the network keeps
/// dense Adam. Build this before the dense optimizer: it turns requires_grad off on the three tables.
/// </summary>
public sealed class SparsePretrainTables : IDisposable
{
    private readonly PretrainModel model;
    private readonly LazyAdam embedding, output, bias;

    public SparsePretrainTables(PretrainModel model, double lr)
    {
        this.model = model;
        embedding = new LazyAdam(model.Backbone.EmbeddingWeight, lr);
        output = new LazyAdam(model.OutputWeight, lr);
        bias = new LazyAdam(model.OutputBias, lr);
    }

    /// <summary>Hidden states at every position, the embedding rows taken from this step's gathered leaf.</summary>
    public Tensor Hidden(Tensor ids) => // [batch, seq] -> [batch, seq, channels]
        model.Backbone.Encode(embedding.Gather(ids), NextItNet.PaddingMask(ids));

    /// <summary>
    /// The sampled-softmax loss with the labels' and negatives' output rows gathered once each. No dispose
    /// scope of its own: the gathered leaves must live until <see cref="Step"/>, in the caller's step scope.
    /// </summary>
    public Tensor SampledLoss(SampledSoftmax sampler, Tensor hidden, Tensor labels) // [n, channels], [n]
    {
        var negatives = sampler.Draw();
        long n = labels.shape[0], s = negatives.Length;
        var ids = cat([labels, tensor(negatives, device: labels.device)]);                 // [n + S]
        var w = output.Gather(ids);                                                          // [n + S, channels]
        var b = bias.Gather(ids);                                                            // [n + S]
        return sampler.Loss(hidden, labels, negatives, w.narrow(0, 0, n), b.narrow(0, 0, n), w.narrow(0, n, s), b.narrow(0, n, s));
    }

    /// <summary>Lazy Adam on the rows this step gathered; call after backward, inside the step's dispose scope.</summary>
    public void Step()
    {
        embedding.Step();
        output.Step();
        bias.Step();
    }

    public void Dispose()
    {
        embedding.Dispose();
        output.Dispose();
        bias.Dispose();
    }
}
