namespace PeterRec.Trainer.Online;

/// <summary>When versions are due: after <paramref name="EverySteps"/> optimizer steps, or <paramref name="EverySeconds"/>
/// after the last version with at least one new step.</summary>
public sealed record PublishRules(int EverySteps, double EverySeconds);

/// <summary>
/// The publish policy of one task, beside its learner: when to raise the version, the gate against the held-back
/// slice, and what a failed publish means. The caller writes the versions (Redis, Kafka) and the checkpoint; this
/// class owns every decision and the bookkeeping, so it is tested without either.
/// </summary>
/// <remarks>
/// A version is due when the learner has stepped since the last version and either rule has fired. A due candidate is
/// versioned (<see cref="OnlineLearner.Version"/> raised) only if it passes <see cref="OnlineLearner.CheckCandidate"/>;
/// a withheld candidate is not versioned, so no version number is skipped or names an unpublished state, and the next
/// due point checks again. A raised version stays <see cref="HasPending"/> until <see cref="Published"/>: the caller
/// checkpoints it first (so the number survives a crash), then publishes; when publishing fails the caller retries
/// the pending version, from the same state, before training anything new, so a version number never names two
/// different states.
/// </remarks>
public sealed class PublishPolicy(OnlineLearner learner, PublishRules rules, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private long _since = (clock ?? TimeProvider.System).GetTimestamp();
    private long _stepAtVersion = learner.Step;

    /// <summary>The version serving has (the latest pointer in Redis), 0 before the first.</summary>
    public long PublishedVersion { get; private set; }

    /// <summary>A version was raised (and checkpointed) but is not published yet.</summary>
    public bool HasPending => learner.Version > PublishedVersion;

    /// <summary>At start: the version the latest pointer names, so a version the checkpoint has but Redis lacks is pending.</summary>
    public void Resume(long publishedVersion)
    {
        PublishedVersion = publishedVersion;
        _stepAtVersion = learner.Step;
        _since = _clock.GetTimestamp();
    }

    /// <summary>
    /// After a batch was trained: raises the version when one is due and the gate lets it through. Returns the gate's
    /// verdict when one was taken (null when nothing was due), so the caller can count and log a withheld candidate.
    /// </summary>
    /// <remarks>Nothing is raised while a version is pending: a failed publish is retried before anything new is versioned.</remarks>
    public PublishVerdict? AfterBatch() =>
        !HasPending && learner.Step > _stepAtVersion && (learner.Step - _stepAtVersion >= rules.EverySteps || SecondsSince >= rules.EverySeconds)
            ? Gate() : null;

    /// <summary>On an idle tick (no batch): only the time rule applies, so the last steps of a quiet stream are published too.</summary>
    public PublishVerdict? WhenIdle() =>
        !HasPending && learner.Step > _stepAtVersion && SecondsSince >= rules.EverySeconds ? Gate() : null;

    /// <summary>The pending version reached Redis and the announcement was delivered: it becomes the gate's baseline.</summary>
    public void Published()
    {
        PublishedVersion = learner.Version;
        _stepAtVersion = learner.Step;
        _since = _clock.GetTimestamp();
        learner.MarkPublished();
    }

    private double SecondsSince => _clock.GetElapsedTime(_since).TotalSeconds;

    private PublishVerdict Gate()
    {
        var verdict = learner.CheckCandidate();
        if (verdict.Publish) { learner.Version++; learner.LastGate = verdict; }
        else
        {
            // Withheld: wait a whole interval before checking again rather than re-evaluating every batch.
            _stepAtVersion = learner.Step;
            _since = _clock.GetTimestamp();
        }
        return verdict;
    }
}
