using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public sealed class InitTemporaryTests
{
    [Theory]
    [InlineData(1_000)]     // one piece
    [InlineData(200_000)]   // row chunks (vocabulary-sized tables)
    public void Truncated_normal_leaves_no_temporary_behind_for_the_finalizer(long rows)
    {
        using var weight = empty(rows, 8);
        using (var scope = NewDisposeScope())
        {
            Init.TruncNormal(weight);
            // Anything a round allocated and did not free would be registered in the caller's scope: at 10^6 rows the
            // leaked abs() results were ~1.6 GB of peak RSS until the GC got round to finalizing them.
            Assert.Equal(0, scope.DisposablesCount);
        }
        Assert.True(weight.abs().max().item<float>() <= 2 * Init.Std);
        Assert.InRange(weight.std().item<float>(), 0.8 * Init.Std, Init.Std);
    }
}
