using PeterRec.Model.Data;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Evaluation;

/// <summary>How a task is scored (PeterRec §4.3).</summary>
public sealed record EvalSettings(bool IsClassification, int Negatives = 99, bool FullRanking = false, int Seed = 7, int Batch = 256);

/// <summary>
/// Scores held-out users. Recommendation: each (user, target) pair's positive is ranked among
/// <c>Negatives</c> targets sampled uniformly from those the user has no positive for (seeded), or
/// among all targets with <c>FullRanking</c> (other positives of the user filtered out).
/// Classification: top-1 accuracy over all classes. A positive with no candidate to rank against (the user's
/// positives cover every target) is not scored: ranked among nothing it would count as a hit.
/// </summary>
public static class TaskEvaluator
{
    public static RankingMetrics Evaluate(PeterRecModel model, IReadOnlyList<TaskUser> users, EvalSettings settings, Device device)
    {
        if (!settings.IsClassification && !settings.FullRanking && settings.Negatives < 1)
            throw new ArgumentException($"negatives {settings.Negatives}: expected at least 1 (a positive ranked among none always ranks first)");
        var metrics = new RankingMetrics();
        var rng = new Random(settings.Seed);
        int targets = model.Targets;
        // Bound the [batch, targets] score matrix to ~64 MB.
        int batch = (int)Math.Clamp(16_000_000L / Math.Max(1, targets), 1, settings.Batch);
        bool wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        for (int start = 0; start < users.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            var chunk = users.Skip(start).Take(batch).ToList();
            var ids = Sequences.LeftPad(chunk.Select(u => u.Source).ToList(), model.Config.MaxSeq, device);
            var scores = model.Scores(model.forward(ids)).cpu().data<float>().ToArray(); // [chunk, targets]
            for (int i = 0; i < chunk.Count; i++)
            {
                var row = new ReadOnlySpan<float>(scores, i * targets, targets);
                foreach (var positive in chunk[i].Targets)
                    if (Scorable(chunk[i].Targets, targets, settings)) metrics.AddRank(Rank(row, positive, chunk[i].Targets, settings, rng));
            }
        }
        if (wasTraining) model.train();
        return metrics;
    }

    /// <summary>
    /// Scores every user with one fixed score per target (a popularity baseline: how often each target was a label in
    /// the training split), with the same candidates <see cref="Evaluate"/> draws for the same settings: the negatives
    /// depend only on the seed and the users' positives, never on the scores.
    /// </summary>
    public static RankingMetrics EvaluateFixed(float[] scores, IReadOnlyList<TaskUser> users, EvalSettings settings)
    {
        var metrics = new RankingMetrics();
        var rng = new Random(settings.Seed);
        foreach (var user in users)
            foreach (var positive in user.Targets)
                if (Scorable(user.Targets, scores.Length, settings)) metrics.AddRank(Rank(scores, positive, user.Targets, settings, rng));
        return metrics;
    }

    /// <summary>Label counts of <paramref name="users"/> per target: the popularity baseline's scores.</summary>
    public static float[] Popularity(IEnumerable<TaskUser> users, int targets)
    {
        var counts = new float[targets];
        foreach (var u in users) foreach (var t in u.Targets) counts[t]++;
        return counts;
    }

    // A rec positive with every target among the user's positives has no candidate to rank against: not scorable.
    private static bool Scorable(int[] userTargets, int targets, EvalSettings settings) =>
        settings.IsClassification || userTargets.Length < targets;

    private static long Rank(ReadOnlySpan<float> row, int positive, int[] userTargets, EvalSettings settings, Random rng) =>
        settings.IsClassification ? RankAmongAll(row, positive, [])
        : settings.FullRanking ? RankAmongAll(row, positive, userTargets)
        : RankAmongSampled(row, positive, userTargets, settings.Negatives, rng);

    private static long RankAmongAll(ReadOnlySpan<float> row, int positive, int[] skip)
    {
        long rank = 0;
        var p = row[positive];
        for (int j = 0; j < row.Length; j++)
            if (j != positive && Array.IndexOf(skip, j) < 0 && (row[j] >= p || float.IsNaN(row[j]))) rank++;
        return float.IsNaN(p) ? row.Length : rank;
    }

    private static long RankAmongSampled(ReadOnlySpan<float> row, int positive, int[] userPositives, int negatives, Random rng)
    {
        int available = row.Length - userPositives.Length;
        var picked = new float[Math.Min(negatives, available)];
        if (picked.Length == available)
        {
            // Fewer candidates than asked for: use them all.
            int k = 0;
            for (int j = 0; j < row.Length; j++) if (Array.IndexOf(userPositives, j) < 0) picked[k++] = row[j];
        }
        else
        {
            var seen = new HashSet<int>();
            int k = 0;
            while (k < picked.Length)
            {
                int j = rng.Next(row.Length);
                if (Array.IndexOf(userPositives, j) >= 0 || !seen.Add(j)) continue;
                picked[k++] = row[j];
            }
        }
        return RankingMetrics.RankOf(row[positive], picked);
    }
}
