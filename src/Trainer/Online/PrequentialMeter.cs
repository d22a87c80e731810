using PeterRec.Model.Evaluation;

namespace PeterRec.Trainer.Online;

/// <summary>Sums of top-5 ranking metrics over a set of scored events (see <see cref="RankingMetrics"/>).</summary>
public sealed record PrequentialTotals(long Count = 0, long Top1 = 0, long Hits = 0, double ReciprocalRanks = 0)
{
    public double Hr => Count == 0 ? 0 : (double)Hits / Count;
    public double Mrr => Count == 0 ? 0 : ReciprocalRanks / Count;
    public double Accuracy => Count == 0 ? 0 : (double)Top1 / Count;

    public PrequentialTotals Plus(long rank, int sign = 1) => new(
        Count + sign,
        Top1 + (rank == 0 ? sign : 0),
        Hits + (rank < RankingMetrics.K ? sign : 0),
        ReciprocalRanks + (rank < RankingMetrics.K ? sign / (rank + 1.0) : 0));
}

/// <summary>
/// Prequential ("test, then train") evaluation: each event is scored by the model as it was before training on it.
/// Keeps totals since the task started and a sliding window of the latest ranks, so the current quality is visible
/// while the totals still include the early, untrained phase. Ranks count candidates scored at least as high as the
/// positive (0 = first), as <see cref="RankingMetrics.RankOf"/> does.
/// </summary>
public sealed class PrequentialMeter
{
    private readonly Queue<long> _recent = new();
    private readonly int _window;

    public PrequentialMeter(int window = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        _window = window;
    }

    public PrequentialTotals Total { get; private set; } = new();

    /// <summary>Over the last <c>window</c> scored events.</summary>
    public PrequentialTotals Window { get; private set; } = new();

    public IReadOnlyList<long> RecentRanks => [.. _recent];

    public void Add(long rank)
    {
        Total = Total.Plus(rank);
        Window = Window.Plus(rank);
        _recent.Enqueue(rank);
        if (_recent.Count > _window) Window = Window.Plus(_recent.Dequeue(), -1);
    }

    /// <summary>Restores the state saved in a checkpoint.</summary>
    public void Restore(PrequentialTotals total, IEnumerable<long> recent)
    {
        _recent.Clear();
        Window = new PrequentialTotals();
        foreach (var r in recent) Add(r);
        Total = total;
    }
}
