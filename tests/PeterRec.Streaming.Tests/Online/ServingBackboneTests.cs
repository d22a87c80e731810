using PeterRec.Model.Model;
using PeterRec.Serving.Scoring;
using PeterRec.Trainer.Online;
using static TorchSharp.torch;

namespace PeterRec.Streaming.Tests.Online;

public sealed class ServingBackboneTests : IDisposable
{
    private readonly TinyBackbone _backbone = new();

    private OnlineLearner Trained(string task, int targets, int seed, int patchHidden = 0)
    {
        var learner = OnlineLearner.Create(new LearnerSettings
        {
            Task = task, MaxTargets = 50, MicroBatch = 32, LearningRate = 3e-2, Device = "cpu", Seed = seed, PatchHidden = patchHidden,
        }, _backbone.Dir);
        var stream = new SyntheticTaskStream(targets, seed);
        learner.Learn([.. Enumerable.Range(0, 192).Select(_ => stream.Next()).Select(e => new LabeledExample(learner.EncodeSource(e.Window), e.Label))]);
        return learner;
    }

    private static List<int[]> Users(ServingBackbone serving) =>
        [serving.EncodeSource(["s1", "s2", "s3"]), serving.EncodeSource(["s40", "unknown-item", "s7"]), serving.EncodeSource(["s9"])];

    [Fact]
    public void Shared_backbone_with_a_published_version_scores_exactly_like_the_trained_task_model()
    {
        using var learner = Trained("rec", 20, 1);
        using var serving = new ServingBackbone(_backbone.Dir, 0, "cpu");
        var patch = ServedVersion.Parse(learner.NextVersion(), "patch", "rec", serving);
        var users = Users(serving);
        var scored = serving.Score(patch, users, topN: 5);

        using var _ = no_grad();
        var rep = learner.Model.forward(Sequences.LeftPad(users, learner.Model.Config.MaxSeq));
        var scores = learner.Model.Scores(rep).narrow(1, 0, learner.Targets.Count);
        var (values, indices) = scores.topk(5, dim: 1);
        for (int i = 0; i < users.Count; i++)
        {
            Assert.Equal(rep[i].data<float>().ToArray(), scored[i].Rep);
            Assert.Equal(indices[i].data<long>().ToArray().Select(r => learner.Targets.Labels[(int)r]), scored[i].Top.Select(t => t.Label));
            Assert.Equal(values[i].data<float>().ToArray(), scored[i].Top.Select(t => t.Score));
        }
    }

    [Fact]
    public void Tasks_interleaved_on_one_backbone_never_see_each_others_tensors()
    {
        using var a = Trained("rec", 20, 1);
        using var b = Trained("cls", 4, 2);
        using var serving = new ServingBackbone(_backbone.Dir, 0, "cpu");
        var pa = ServedVersion.Parse(a.NextVersion(), "a", "rec", serving);
        var pb = ServedVersion.Parse(b.NextVersion(), "b", "cls", serving);
        var users = Users(serving);
        var first = serving.Score(pa, users, 3);
        var other = serving.Score(pb, users, 3);
        var again = serving.Score(pa, users, 3);
        Assert.NotEqual(first[0].Rep, other[0].Rep);
        for (int i = 0; i < users.Count; i++)
        {
            Assert.Equal(first[i].Rep, again[i].Rep);
            Assert.Equal(first[i].Top, again[i].Top);
        }
    }

    [Fact]
    public void Truncated_corrupt_or_misshapen_versions_are_refused_with_a_reason()
    {
        using var serving = new ServingBackbone(_backbone.Dir, 0, "cpu");
        using var learner = Trained("rec", 20, 1);
        var good = learner.NextVersion();
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ServedVersion.Parse(good[..^100], "v1", "rec", serving)).Message);
        var flipped = (byte[])good.Clone();
        flipped[flipped.Length / 3] ^= 1;
        Assert.Throws<InvalidDataException>(() => ServedVersion.Parse(flipped, "v1", "rec", serving));
        Assert.Contains("task 'rec', expected 'cls'", Assert.Throws<InvalidDataException>(() => ServedVersion.Parse(good, "v1", "cls", serving)).Message);
        using var narrow = Trained("rec", 20, 1, patchHidden: 2);
        Assert.Contains("patch width 2", Assert.Throws<InvalidDataException>(() => ServedVersion.Parse(narrow.NextVersion(), "v2", "rec", serving)).Message);
    }

    public void Dispose() => _backbone.Dispose();
}
