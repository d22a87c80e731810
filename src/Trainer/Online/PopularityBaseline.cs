using PeterRec.Model.Evaluation;

namespace PeterRec.Trainer.Online;

/// <summary>
/// The trivial recommender the online model has to beat: it scores every label by how often it has been seen on the
/// stream so far (for "cls", the majority class). It is measured exactly like the model: each event is ranked among
/// the same candidate rows the model's rank used, before the event's own label is counted, and the ranks go into a
/// <see cref="PrequentialMeter"/> with the same window. Ties count against the positive (as in
/// <see cref="RankingMetrics.RankOf"/>), so before any label is counted it earns nothing.
/// </summary>
/// <remarks>Counts are kept by label, not by row, so they survive a change of the target table (a rollback).</remarks>
public sealed class PopularityBaseline(int window)
{
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);

    public PrequentialMeter Meter { get; } = new(window);

    /// <summary>Label counts so far (what a checkpoint keeps).</summary>
    public IReadOnlyDictionary<string, long> Counts => _counts;

    public long CountOf(string label) => _counts.GetValueOrDefault(label);

    /// <summary>
    /// Ranks row <paramref name="positive"/> among <paramref name="candidates"/> (row numbers; the positive's own row
    /// is never among them) by label count, records the rank and returns it.
    /// </summary>
    /// <param name="labels">Row -> label (the task's target table).</param>
    public long Score(IReadOnlyList<string> labels, int positive, ReadOnlySpan<int> candidates)
    {
        var p = CountOf(labels[positive]);
        long rank = 0;
        foreach (var c in candidates) if (CountOf(labels[c]) >= p) rank++;
        Meter.Add(rank);
        return rank;
    }

    /// <summary>Counts one seen label (after it was scored).</summary>
    public void Observe(string label) => _counts[label] = CountOf(label) + 1;

    /// <summary>Restores the counts and meter a checkpoint saved.</summary>
    public void Restore(IReadOnlyDictionary<string, long> counts, PrequentialTotals total, IEnumerable<long> recent)
    {
        _counts.Clear();
        foreach (var (label, count) in counts) _counts[label] = count;
        Meter.Restore(total, recent);
    }

    /// <summary>Model metric over baseline metric; null while the baseline is 0 (no ratio).</summary>
    public static double? Lift(double model, double baseline) => baseline > 0 ? model / baseline : null;
}
