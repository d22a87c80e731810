namespace PeterRec.Model.Tests.Training;

/// <summary>
/// Tests that compare seeded training runs for equality. <c>torch.manual_seed</c> and the generator it seeds are
/// process-wide, so a model initialised by a test running in parallel would shift their draws and break the equality;
/// xunit runs this collection alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SeededTrainingCollection
{
    public const string Name = "seeded training";
}
