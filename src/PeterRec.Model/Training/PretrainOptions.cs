using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Training;

/// <summary>Settings of backbone pretraining (PeterRec §3.2).</summary>
public sealed record PretrainOptions
{
    public int Channels { get; init; } = 64;
    public int Kernel { get; init; } = 3;
    public int[] Dilations { get; init; } = [1, 4, 1, 4, 1, 4, 1, 4];
    /// <summary>(int) Longest input the backbone reads; 0 = the longest sequence in the data, at most 50.</summary>
    public int MaxSeq { get; init; }
    public int Epochs { get; init; } = 10;
    public int Batch { get; init; } = 128;
    public double LearningRate { get; init; } = 1e-3;
    public int Seed { get; init; } = 7;
    /// <summary>(string) "softmax" (full) or "sampled" (log-uniform negatives with log-Q correction).</summary>
    public string Loss { get; init; } = "softmax";
    /// <summary>(double) Share of the vocabulary drawn as negatives by the sampled softmax (the reference: 0.2).</summary>
    public double SampleFraction { get; init; } = 0.2;
    /// <summary>(bool) GRec variant: non-causal convs, BERT-style masking, loss on masked positions.</summary>
    public bool Masked { get; init; }
    public double MaskProbability { get; init; } = 0.3;
    public double ValidFraction { get; init; } = 0.03;
    public int Patience { get; init; } = 3;
    public bool SkipBadRows { get; init; }
    public string Device { get; init; } = "auto";

    public void Validate()
    {
        if (Loss is not ("softmax" or "sampled")) throw new ArgumentException($"loss '{Loss}': expected softmax or sampled");
        if (Epochs < 1 || Batch < 1) throw new ArgumentException("epochs and batch must be >= 1");
        if (!double.IsFinite(LearningRate) || LearningRate <= 0) throw new ArgumentException($"learning rate {LearningRate}: expected a finite number > 0");
        if (SampleFraction is <= 0 or > 1) throw new ArgumentException("sample fraction must be in (0, 1]");
        if (MaskProbability is <= 0 or >= 1) throw new ArgumentException("mask probability must be in (0, 1)");
    }
}

/// <summary>What pretraining reports: validation next-item metrics over the full vocabulary.</summary>
/// <param name="Events">What reading an event log did (pretraining from <c>--events</c>); null for a sequence CSV.</param>
public sealed record PretrainReport(int Items, int Sequences, int TrainWindows, int EpochsRun, double FinalLoss,
                                    double ValidMrr5, double ValidHr5, long Parameters, double Seconds, int SkippedRows,
                                    EventLogSummary? Events = null);
