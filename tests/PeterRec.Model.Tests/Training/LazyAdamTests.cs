using PeterRec.Model.Model;
using PeterRec.Model.Tests.Model;
using PeterRec.Model.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Training;

public class LazyAdamTests
{
    // A loss over chosen rows of a [10, 4] table: what an embedding lookup or a sampled softmax gives a table.
    private static Tensor RowLoss(Tensor rows, Tensor targets) => (rows - targets).pow(2).sum() + rows.sum(); // [n, 4]

    // From System.Random, not torch's global generator: tests of other classes run in parallel and draw from that.
    private static Tensor Random(Random rng, long rows) =>
        tensor(Enumerable.Range(0, (int)rows * 4).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), [rows, 4]);

    private static (Tensor Start, Tensor Lazy, Tensor Dense) Train(Func<int, long[]> touched, int steps)
    {
        var rng = new Random(4);
        var start = Random(rng, 10);
        var lazyTable = start.clone();
        var dense = new Parameter(start.clone());
        using var lazy = new LazyAdam(lazyTable, lr: 0.05);
        using var adam = optim.Adam([dense], 0.05);
        for (int s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            var ids = tensor(touched(s));
            var targets = Random(rng, ids.shape[0]);
            RowLoss(lazy.Gather(ids), targets).backward();
            lazy.Step();
            adam.zero_grad();
            RowLoss(dense.index_select(0, ids), targets).backward();
            adam.step();
        }
        return (start, lazyTable, dense.detach());
    }

    [Fact]
    public void Rows_touched_every_step_follow_dense_adam_and_untouched_rows_do_not_change()
    {
        // Rows 1, 3 and 7 in every batch, row 3 twice (duplicates sum their gradients, as a lookup's do).
        var (start, lazy, dense) = Train(_ => [3, 1, 7, 3], steps: 6);
        foreach (var r in new long[] { 1, 3, 7 })
            Assert.True(lazy[r].allclose(dense[r], rtol: 0, atol: 1e-6), $"row {r}: lazy and dense Adam differ");
        foreach (var r in new long[] { 0, 2, 4, 5, 6, 8, 9 })
            Assert.True(TinyModels.BitEqual(lazy[r], start[r]), $"untouched row {r} changed");
        Assert.False(lazy[1].allclose(start[1]), "touched rows must move");
    }

    [Fact]
    public void A_row_skipped_by_later_batches_stays_put_where_dense_adam_keeps_moving_it_by_momentum()
    {
        var (_, lazy, dense) = Train(s => s == 0 ? [2, 5] : [5], steps: 4);
        var afterOneStep = Train(_ => [2, 5], steps: 1).Lazy;
        Assert.True(TinyModels.BitEqual(lazy[2], afterOneStep[2]), "lazy Adam moved a row no batch touched");
        Assert.False(dense[2].allclose(afterOneStep[2], rtol: 0, atol: 1e-6), "dense Adam keeps moving it by momentum");
        Assert.True(lazy[5].allclose(dense[5], rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Sparse_sampled_pretraining_gives_the_dense_sampled_loss_and_gradient_rows()
    {
        var config = TinyModels.Config(items: 30);
        manual_seed(9);
        using var model = new PretrainModel(config);
        using var ids = TinyModels.RandomIds(4, 12, config.Items, seed: 3);
        using var labels = TinyModels.RandomIds(1, 48, config.Items, seed: 4).view(-1);
        var denseSampler = new SampledSoftmax(config.Items, 2, 8, seed: 1);
        var sparseSampler = new SampledSoftmax(config.Items, 2, 8, seed: 1);

        var dense = denseSampler.Loss(model.forward(ids).view(-1, config.Channels), labels, model.OutputWeight, model.OutputBias);
        dense.backward();
        var denseEmbGrad = model.Backbone.EmbeddingWeight.grad!.clone();
        using var sparse = new SparsePretrainTables(model, 1e-3);
        var loss = sparse.SampledLoss(sparseSampler, sparse.Hidden(ids).view(-1, config.Channels), labels);
        Assert.True(Math.Abs(loss.item<float>() - dense.item<float>()) < 1e-6);
        loss.backward();
        // Lazy Adam's first step moves exactly the rows with a gradient, by lr * sign(grad) (Adam's first step).
        var before = model.Backbone.EmbeddingWeight.clone();
        sparse.Step();
        var moved = (model.Backbone.EmbeddingWeight - before).abs().sum(1).gt(0);          // [items]
        var hadGrad = denseEmbGrad.abs().sum(1).gt(0);
        Assert.True(moved.eq(hadGrad).all().item<bool>(), "moved rows differ from the rows with a dense gradient");
    }
}
