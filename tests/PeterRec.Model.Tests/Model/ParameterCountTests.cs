using PeterRec.Model.Model;
using PeterRec.Model.Training;

namespace PeterRec.Model.Tests.Model;

/// <summary>Trainable and total parameter counts per mode, from the formulas of PeterRec §3.</summary>
public class ParameterCountTests
{
    private const int V = 40, C = 16, K = 3, Blocks = 4, T = 7, H = 2;

    private static long Conv => (long)C * C * K + C;
    private static long Ln => 2L * C;
    private static long Block => 2 * Conv + 2 * Ln;
    private static long Patch => 2L * C * H + H + C;
    private static long Backbone => (long)V * C + Blocks * Block;
    private static long Task => C + (long)T * C;              // [CLS] embedding + target table

    public static TheoryData<string, long, long> Expected => new()
    {
        { "scratch", Backbone + Task, Backbone + Task },
        { "fineall", Backbone + Task, Backbone + Task },
        { "finecls", Task, Backbone + Task },
        { "finelast1", Block + Task, Backbone + Task },
        { "finelast2", 2 * Block + Task, Backbone + Task },
        { "peterrec-serial", Blocks * (2 * Patch + Ln) + Task, Backbone + Blocks * 2 * Patch + Task },
        { "peterrec-parallel", Blocks * (2 * Patch + Ln) + Task, Backbone + Blocks * 2 * Patch + Task },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Counts_match_the_formulas(string mode, long trainable, long total)
    {
        using var model = new PeterRecModel(TinyModels.Config(items: V), FineTuneModes.Parse(mode), T, H);
        var (t, all) = FineTuneReport.ParameterCounts(model);
        Assert.Equal(trainable, t);
        Assert.Equal(total, all);
        Assert.Equal(t, model.TrainableParameters().Sum(p => p.Param.numel()));
    }
}
