using PeterRec.Model.Model;

namespace PeterRec.Model.Training;

/// <summary>Settings of one fine-tuning run (command line &gt; defaults).</summary>
public sealed record FineTuneOptions
{
    /// <summary>(string) "rec": target-item recommendation; "cls": profile classification.</summary>
    public string Task { get; init; } = "rec";
    public FineTuneMode Mode { get; init; } = FineTuneMode.PeterRecSerial;
    public int Epochs { get; init; } = 20;
    public int Batch { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    public int Seed { get; init; } = 7;
    /// <summary>(int) Patch bottleneck width; 0 = channels/8 (each patch under 1/10 of its conv).</summary>
    public int PatchHidden { get; init; }
    public double ValidFraction { get; init; } = 0.03;
    public double TestFraction { get; init; } = 0.27;
    /// <summary>(int) Epochs without a better validation metric before stopping.</summary>
    public int Patience { get; init; } = 3;
    /// <summary>(string) "softmax" over all targets, or "sampled" negatives for large target vocabularies.</summary>
    public string Loss { get; init; } = "softmax";
    public int SampledNegatives { get; init; } = 100;
    public int EvalNegatives { get; init; } = 99;
    public bool SkipBadRows { get; init; }
    public string Device { get; init; } = "auto";

    public bool IsClassification => Task == "cls";

    public void Validate()
    {
        if (Task is not ("rec" or "cls")) throw new ArgumentException($"task '{Task}': expected rec or cls");
        if (Loss is not ("softmax" or "sampled")) throw new ArgumentException($"loss '{Loss}': expected softmax or sampled");
        if (Epochs < 1 || Batch < 1 || Patience < 1)
            throw new ArgumentException("epochs, batch, patience must be >= 1");
        if (!(TestFraction > 0 && TestFraction < 1)) throw new ArgumentException($"test fraction {TestFraction}: expected > 0 and < 1 (the test split is what the report scores)");
        if (!(ValidFraction >= 0 && ValidFraction + TestFraction < 1)) throw new ArgumentException($"valid fraction {ValidFraction}: expected >= 0, with valid + test < 1");
        if (EvalNegatives < 1) throw new ArgumentException($"eval negatives {EvalNegatives}: expected at least 1");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"learning rate {LearningRate}: expected a finite number > 0");
    }
}
