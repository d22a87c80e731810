namespace PeterRec.Orchestration;

/// <summary>
/// One look at the whole pipeline: the replay's own counts plus what each role's /metrics says. Metric names are the
/// Prometheus forms of the roles' OpenTelemetry instruments (dots to underscores, counters get <c>_total</c>).
/// </summary>
public sealed record RunProgress
{
    public const string IngestEvents = "peterrec_ingest_events_total";
    public const string IngestDeadLetters = "peterrec_ingest_dead_letters_total";
    public const string IngestLateDropped = "peterrec_ingest_events_late_dropped_total";
    public const string ConsumerLag = "peterrec_kafka_consumer_lag";
    public const string TrainerSteps = "peterrec_trainer_steps_total";
    public const string TrainerEvents = "peterrec_trainer_events_total";
    public const string TrainerPublishes = "peterrec_trainer_publishes_total";
    public const string TrainerVersion = "peterrec_trainer_patch_version";
    public const string TrainerPrequential = "peterrec_trainer_prequential";
    public const string TrainerBaseline = "peterrec_trainer_baseline";
    public const string ServingUsers = "peterrec_serving_users_total";
    public const string ServingVersion = "peterrec_serving_patch_version";
    public const string ServingFreshness = "peterrec_serving_freshness_seconds";

    public TimeSpan Elapsed { get; init; }
    public long Clicks { get; init; }
    public long TaskEvents { get; init; }
    public bool ReplayDone { get; init; }
    public double Ingested { get; init; }
    public double DeadLetters { get; init; }
    public double LateDropped { get; init; }
    public double IngestLag { get; init; }
    public double TrainerLag { get; init; }
    public double ServingLag { get; init; }
    public double TrainSteps { get; init; }
    public double LabelsTrained { get; init; }
    /// <summary>Labels scored but kept out of training for the trainer's publish gate (every Trainer:HoldoutEvery-th).</summary>
    public double LabelsHeldOut { get; init; }
    public double LabelsSeen { get; init; }
    public double Publishes { get; init; }
    public double? TrainerPatchVersion { get; init; }
    public double? ServingPatchVersion { get; init; }
    public double? PrequentialWindow { get; init; }
    public double? PrequentialTotal { get; init; }
    /// <summary>The popularity baseline on the same events and window (<c>peterrec.trainer.baseline</c>).</summary>
    public double? BaselineWindow { get; init; }
    public double? BaselineTotal { get; init; }
    /// <summary>Window metric over the baseline's; null until both exist and the baseline is above 0.</summary>
    public double? Lift => Ratio(PrequentialWindow, BaselineWindow);
    public double? LiftTotal => Ratio(PrequentialTotal, BaselineTotal);
    public double UsersWritten { get; init; }
    public double? FreshnessP99Ms { get; init; }

    /// <summary>
    /// Every role has consumed everything offered, and Serving runs the trainer's newest patch (version 0 = none
    /// published yet: the trainer publishes only when a batch arrives, so steps short of a version stay unpublished).
    /// </summary>
    public bool Drained =>
        ReplayDone && Ingested + DeadLetters + LateDropped >= Clicks && LabelsSeen >= TaskEvents
        && IngestLag == 0 && TrainerLag == 0 && ServingLag == 0
        && (TrainerPatchVersion is null or 0 || TrainerPatchVersion == ServingPatchVersion);

    public static RunProgress From(TimeSpan elapsed, ReplayStream replay, bool replayDone, string task, string metric,
        MetricsSnapshot ingest, MetricsSnapshot trainer, MetricsSnapshot serving, double? freshnessP99Ms)
    {
        var t = ("task", task);
        return new RunProgress
        {
            Elapsed = elapsed, Clicks = replay.Clicks, TaskEvents = replay.TaskEvents, ReplayDone = replayDone,
            Ingested = ingest.Sum(IngestEvents, ("outcome", "applied")),
            DeadLetters = ingest.Sum(IngestDeadLetters),
            LateDropped = ingest.Sum(IngestLateDropped),
            IngestLag = ingest.Sum(ConsumerLag), TrainerLag = trainer.Sum(ConsumerLag), ServingLag = serving.Sum(ConsumerLag),
            TrainSteps = trainer.Sum(TrainerSteps, t),
            LabelsTrained = trainer.Sum(TrainerEvents, t, ("outcome", "trained")),
            LabelsHeldOut = trainer.Sum(TrainerEvents, t, ("outcome", "held_out")),
            // Every outcome, so refused or invalid labels do not hold the drain forever.
            LabelsSeen = trainer.Sum(TrainerEvents) - trainer.Sum(TrainerEvents, ("outcome", "redelivered")),
            Publishes = trainer.Sum(TrainerPublishes, t),
            TrainerPatchVersion = trainer.Max(TrainerVersion, t),
            ServingPatchVersion = serving.Max(ServingVersion, t),
            PrequentialWindow = Prequential(trainer, task, metric, "window"),
            PrequentialTotal = Prequential(trainer, task, metric, "total"),
            BaselineWindow = Prequential(trainer, task, metric, "window", TrainerBaseline),
            BaselineTotal = Prequential(trainer, task, metric, "total", TrainerBaseline),
            UsersWritten = serving.Sum(ServingUsers, t, ("outcome", "written")),
            FreshnessP99Ms = freshnessP99Ms,
        };
    }

    /// <summary>The gauge's Prometheus name may carry a unit suffix; accept the family by prefix.</summary>
    private static double? Prequential(MetricsSnapshot trainer, string task, string metric, string over, string family = TrainerPrequential)
    {
        var name = trainer.Samples.FirstOrDefault(s => s.Name.StartsWith(family, StringComparison.Ordinal))?.Name;
        return name is null ? null : trainer.Max(name, ("task", task), ("metric", metric), ("over", over));
    }

    private static double? Ratio(double? model, double? baseline) => model is { } m && baseline is > 0 and { } b ? m / b : null;
}
