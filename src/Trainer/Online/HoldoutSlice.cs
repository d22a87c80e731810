namespace PeterRec.Trainer.Online;

/// <summary>
/// The publish gate's evaluation set: the latest events that were held back from training (every
/// <see cref="LearnerSettings.HoldoutEvery"/>-th event), so neither the candidate nor the published version has
/// trained on them and the comparison between the two is fair. A ring: the oldest event leaves when a new one comes.
/// </summary>
/// <remarks>In memory only: after a restart the gate stays open until <see cref="LearnerSettings.HoldoutMinEvents"/> have been held back again.</remarks>
public sealed class HoldoutSlice(int capacity)
{
    private readonly Queue<(int[] Source, int Row)> _events = new();

    public int Count => _events.Count;

    public void Add(int[] source, int row)
    {
        _events.Enqueue((source, row));
        while (_events.Count > capacity) _events.Dequeue();
    }

    public IReadOnlyList<(int[] Source, int Row)> Snapshot() => [.. _events];

    /// <summary>Forgets every held-back event (their rows may not exist in a rolled-back target table).</summary>
    public void Clear() => _events.Clear();
}

/// <summary>Whether a candidate version may be published, and the figures the decision was made on.</summary>
/// <param name="Reason">Snake case, the metric label: ok, no_baseline, few_events, nonfinite_patch, worse_on_holdout.</param>
public sealed record PublishVerdict(bool Publish, string Reason, double Candidate = double.NaN, double Baseline = double.NaN, int Events = 0)
{
    public override string ToString() => Events == 0
        ? $"{(Publish ? "publish" : "withhold")} ({Reason})"
        : $"{(Publish ? "publish" : "withhold")} ({Reason}): candidate {Candidate:F4} vs published {Baseline:F4} on {Events} held-back events";
}
