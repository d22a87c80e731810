using System.Text.Json.Serialization;
using PeterRec.Model.Data.Events;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>REPORT.json of a fine-tuning run: the paper's metrics and what it cost.</summary>
public sealed record FineTuneReport
{
    [JsonPropertyName("mode")] public required string Mode { get; init; }
    [JsonPropertyName("task")] public required string Task { get; init; }
    [JsonPropertyName("mrr_5")] public double? Mrr5 { get; init; }
    [JsonPropertyName("hr_5")] public double? Hr5 { get; init; }
    [JsonPropertyName("ndcg_5")] public double? Ndcg5 { get; init; }
    [JsonPropertyName("accuracy")] public double? Accuracy { get; init; }
    [JsonPropertyName("trainable_params")] public long TrainableParams { get; init; }
    [JsonPropertyName("total_params")] public long TotalParams { get; init; }
    [JsonPropertyName("trainable_share")] public double TrainableShare { get; init; }
    [JsonPropertyName("patch_params_per_conv_ratio")] public double? PatchRatio { get; init; }
    [JsonPropertyName("train_examples")] public int TrainExamples { get; init; }
    [JsonPropertyName("test_examples")] public long TestExamples { get; init; }
    [JsonPropertyName("oov_tokens")] public long OovTokens { get; init; }
    [JsonPropertyName("source_tokens")] public long SourceTokens { get; init; }
    [JsonPropertyName("skipped_rows")] public int SkippedRows { get; init; }
    [JsonPropertyName("targets")] public int Targets { get; init; }
    [JsonPropertyName("epochs_run")] public int EpochsRun { get; init; }
    [JsonPropertyName("best_valid_metric")] public double? BestValidMetric { get; init; }
    [JsonPropertyName("seconds")] public double Seconds { get; init; }
    [JsonPropertyName("device")] public string Device { get; init; } = "cpu";
    /// <summary>The popularity baseline (training-split label counts; the majority class for cls) on the same test split and candidates.</summary>
    [JsonPropertyName("baseline")] public BaselineReport? Baseline { get; init; }
    /// <summary>Model over baseline on hr_5 (rec) or accuracy (cls); null when the baseline scores 0.</summary>
    [JsonPropertyName("lift")] public double? Lift { get; init; }
    /// <summary>What the run did that the user may not have meant (e.g. patches over the 1/10 bound); absent when none.</summary>
    [JsonPropertyName("warnings")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public IReadOnlyList<string>? Warnings { get; init; }
    /// <summary>What reading the event log and labels did (fine-tuning from <c>--events</c>); absent for a fine-tune CSV.</summary>
    [JsonPropertyName("events")] [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public EventLogSummary? Events { get; init; }

    public static FineTuneReport From(PeterRecModel model, FineTuneOptions o, RankingMetrics m, TaskData data,
                                      int trainExamples, TrainingCurve curve, double seconds, Device device)
    {
        var (trainable, total) = ParameterCounts(model);
        var c = model.Config.Channels;
        double? ratio = model.PatchHidden > 0
            ? (double)ModelPatch.ParameterCount(c, model.PatchHidden) / ConvParameterCount(c, model.Config.Kernel) : null;
        var metrics = curve.Rows.Where(r => r.Metric.HasValue).Select(r => r.Metric!.Value).ToList();
        return new FineTuneReport
        {
            Mode = o.Mode.Name(), Task = o.Task,
            Mrr5 = o.IsClassification ? null : Math.Round(m.Mrr, 5),
            Hr5 = o.IsClassification ? null : Math.Round(m.Hr, 5),
            Ndcg5 = o.IsClassification ? null : Math.Round(m.Ndcg, 5),
            Accuracy = o.IsClassification ? Math.Round(m.Accuracy, 5) : null,
            TrainableParams = trainable, TotalParams = total,
            TrainableShare = Math.Round((double)trainable / total, 5),
            PatchRatio = ratio is null ? null : Math.Round(ratio.Value, 5),
            TrainExamples = trainExamples, TestExamples = m.Count,
            OovTokens = data.OovTokens, SourceTokens = data.SourceTokens, SkippedRows = data.SkippedRows,
            Targets = data.TargetVocab.Count, EpochsRun = curve.Rows.Count,
            BestValidMetric = metrics.Count > 0 ? Math.Round(metrics.Max(), 5) : null,
            Seconds = Math.Round(seconds, 2), Device = device.type.ToString().ToLowerInvariant(),
            Warnings = model.PatchHidden > 0 && PeterRecModel.PatchBudgetWarning(c, model.Config.Kernel, model.PatchHidden, o.PatchHidden == 0) is { } w ? [w] : null,
        };
    }

    /// <summary>Adds the baseline's metrics and the lift of <paramref name="model"/>'s over them.</summary>
    public FineTuneReport WithBaseline(RankingMetrics baseline, bool classification)
    {
        var b = BaselineReport.From(baseline, classification);
        var (m, p) = classification ? (Accuracy, b.Accuracy) : (Hr5, b.Hr5);
        return this with { Baseline = b, Lift = m is { } x && p is > 0 and { } y ? Math.Round(x / y, 3) : null };
    }

    public static (long Trainable, long Total) ParameterCounts(nn.Module model)
    {
        long trainable = 0, total = 0;
        foreach (var (_, p) in model.named_parameters())
        {
            total += p.numel();
            if (p.requires_grad) trainable += p.numel();
        }
        return (trainable, total);
    }

    public static long ConvParameterCount(int channels, int kernel) => (long)channels * channels * kernel + channels;
}

/// <summary>A baseline's metrics in the report, named like the model's.</summary>
public sealed record BaselineReport
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("mrr_5")] public double? Mrr5 { get; init; }
    [JsonPropertyName("hr_5")] public double? Hr5 { get; init; }
    [JsonPropertyName("ndcg_5")] public double? Ndcg5 { get; init; }
    [JsonPropertyName("accuracy")] public double? Accuracy { get; init; }

    public static BaselineReport From(RankingMetrics m, bool classification) => new()
    {
        Name = "popularity",
        Mrr5 = classification ? null : Math.Round(m.Mrr, 5),
        Hr5 = classification ? null : Math.Round(m.Hr, 5),
        Ndcg5 = classification ? null : Math.Round(m.Ndcg, 5),
        Accuracy = classification ? Math.Round(m.Accuracy, 5) : null,
    };
}
