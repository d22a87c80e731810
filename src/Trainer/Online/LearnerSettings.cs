namespace PeterRec.Trainer.Online;

/// <summary>How one task learns online (the Trainer role binds these from <c>Trainer:*</c>).</summary>
public sealed record LearnerSettings
{
    /// <summary>(string) Task name, e.g. "rec"; the key of its published versions in Redis.</summary>
    public required string Task { get; init; }
    /// <summary>(string) "rec": the label is a target item, ranked among sampled negatives; "cls": a class, top-1 accuracy.</summary>
    public string Kind { get; init; } = "rec";
    /// <summary>(int) Rows of the target table: the most distinct labels the task can learn.</summary>
    public int MaxTargets { get; init; } = 10_000;
    /// <summary>(string[]) A closed label set (e.g. the classes of "cls"); empty = open, labels take rows as they come.</summary>
    public IReadOnlyList<string> Classes { get; init; } = [];
    /// <summary>(int) Events per optimizer step.</summary>
    public int MicroBatch { get; init; } = 64;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>(int) Patch bottleneck width; 0 = channels/8.</summary>
    public int PatchHidden { get; init; }
    /// <summary>(int) Sampled negatives per "rec" event in the prequential evaluation (all other used rows if fewer).</summary>
    public int EvalNegatives { get; init; } = 99;
    /// <summary>(int) Events in the sliding prequential window.</summary>
    public int PrequentialWindow { get; init; } = 1000;
    public int Seed { get; init; } = 7;
    /// <summary>(string) auto, cpu or cuda.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>(double) A step whose gradient norm (over the trainable tensors) exceeds this is skipped; 0 = no bound.
    /// Non-finite losses and gradients are always skipped.</summary>
    public double MaxGradNorm { get; init; } = 1000;
    /// <summary>(int) Every n-th event is held back from training for the publish gate; 0 = none (the gate then only
    /// checks that the task state is finite).</summary>
    public int HoldoutEvery { get; init; }
    /// <summary>(int) Held-back events kept (the latest ones).</summary>
    public int HoldoutSize { get; init; } = 500;
    /// <summary>(int) The gate compares only with at least this many held-back events.</summary>
    public int HoldoutMinEvents { get; init; } = 100;
    /// <summary>(double) A candidate is withheld when its held-back metric is below the published version's by more than this.</summary>
    public double PublishMargin { get; init; } = 0.05;

    public bool IsClassification => Kind == "cls";

    public void Validate()
    {
        if (Kind is not ("rec" or "cls")) throw new ArgumentException($"Trainer:Kind '{Kind}': expected rec or cls");
        if (MaxTargets < 1 || MicroBatch < 1 || LearningRate <= 0 || EvalNegatives < 1 || PrequentialWindow < 1)
            throw new ArgumentException("Trainer: MaxTargets, MicroBatch, EvalNegatives, PrequentialWindow must be >= 1 and LearningRate > 0");
        if (Classes.Count > MaxTargets)
            throw new ArgumentException($"Trainer: {Classes.Count} classes exceed Trainer:MaxTargets {MaxTargets}");
        if (MaxGradNorm < 0 || HoldoutEvery < 0 || HoldoutSize < 1 || HoldoutMinEvents < 1 || PublishMargin < 0)
            throw new ArgumentException("Trainer: MaxGradNorm, HoldoutEvery, PublishMargin must be >= 0; HoldoutSize, HoldoutMinEvents >= 1");
    }
}

/// <summary>One target-task event joined with the user's click window: source ids (oldest first) and the label.</summary>
public sealed record LabeledExample(int[] Source, string Label);

/// <summary>What one call to <see cref="OnlineLearner.Learn"/> did.</summary>
/// <param name="Skipped">Micro-batches not stepped, by reason (nonfinite_loss, nonfinite_gradient, gradient_norm).</param>
public sealed record LearnResult(int Trained, int Refused, int Steps, double LossSum, IReadOnlyList<long> Ranks,
    int HeldOut = 0, IReadOnlyDictionary<string, int>? Skipped = null)
{
    public double MeanLoss => Steps == 0 ? double.NaN : LossSum / Steps;
}
