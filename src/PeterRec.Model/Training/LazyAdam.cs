using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>
/// Row-sparse ("lazy") Adam for one table ([rows, ...], e.g. an item embedding or a softmax layer): a step
/// reads and updates only the rows the batch touched. Dense Adam over a 10^6 x 64 table streams every row
/// through memory each step although a sampled-softmax batch touches a few thousand.
/// <para>
/// Numerics, as torch.optim.SparseAdam and TF's LazyAdam: the step count is global (one per
/// <see cref="Step"/>, used in both bias corrections) and moments live per row. A row touched at every step
/// follows dense Adam exactly. A row skipped for s steps differs: dense Adam would decay its moments by
/// beta^s and keep moving it by its momentum on every step without a gradient; here it stays where it is
/// and its moments resume undecayed when it is next touched. A row never touched never changes.
/// </para>
/// Use: <see cref="Gather"/> rows in the forward pass (the gradient lands on a small leaf tensor, not on the
/// table), <c>backward()</c>, then <see cref="Step"/>; the table itself has requires_grad off.
/// </summary>
public sealed class LazyAdam : IDisposable
{
    private readonly Tensor table, m, v; // [rows, ...]
    private readonly double lr, beta1, beta2, eps;
    private Tensor? rows, leaf;          // this step's unique row ids [U] and their values [U, ...]

    public long Steps { get; private set; }

    public LazyAdam(Tensor table, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        this.table = table;
        table.requires_grad = false;
        m = zeros_like(table).DetachFromDisposeScope();
        v = zeros_like(table).DetachFromDisposeScope();
        (this.lr, this.beta1, this.beta2, this.eps) = (lr, beta1, beta2, eps);
    }

    /// <summary>
    /// The table's rows at <paramref name="ids"/> (any shape), as a function of one leaf holding each distinct
    /// row once, so backward gives a [U, ...] gradient. One gather per step: a second call replaces the first.
    /// </summary>
    public Tensor Gather(Tensor ids) // [*] -> [*, ...]
    {
        var (unique, inverse, _) = ids.flatten().unique(sorted: true, return_inverse: true);
        rows = unique;
        leaf = table.index_select(0, unique).detach().requires_grad_(true);               // [U, ...]
        var picked = leaf.index_select(0, inverse!);                                        // [n, ...]
        return picked.view([.. ids.shape, .. table.shape.Skip(1)]);
    }

    /// <summary>Adam on the gathered rows with their gradient (torch's formula); untouched rows are not read.</summary>
    public void Step()
    {
        if (rows is null || leaf is null) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Steps++;
        var g = leaf.grad ?? zeros_like(leaf);
        var mRows = m.index_select(0, rows).mul_(beta1).add_(g, alpha: 1 - beta1);        // [U, ...]
        var vRows = v.index_select(0, rows).mul_(beta2).addcmul_(g, g, value: 1 - beta2);
        m.index_copy_(0, rows, mRows);
        v.index_copy_(0, rows, vRows);
        double bc1 = 1 - Math.Pow(beta1, Steps), bc2 = 1 - Math.Pow(beta2, Steps);
        var denom = vRows.sqrt().div_(Math.Sqrt(bc2)).add_(eps);
        var updated = leaf.detach().addcdiv(mRows, denom, value: -lr / bc1);
        table.index_copy_(0, rows, updated);
        rows = leaf = null;
    }

    public void Dispose()
    {
        m.Dispose();
        v.Dispose();
    }
}
