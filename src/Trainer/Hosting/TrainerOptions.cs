using System.ComponentModel.DataAnnotations;
using PeterRec.Trainer.Online;

namespace PeterRec.Trainer.Hosting;

/// <summary>The Trainer role (configuration section <c>Trainer</c>, env <c>PETERREC_Trainer__Task</c> etc.).</summary>
public sealed class TrainerOptions : IValidatableObject
{
    public const string Section = "Trainer";

    /// <summary>(path) Pretrained backbone directory (backbone.safetensors, config.json, source_vocab.txt); loaded frozen.</summary>
    [Required] public string BackboneDir { get; set; } = "";

    /// <summary>(string) The task this trainer learns; events of other tasks are skipped.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,64}$")] public string Task { get; set; } = "rec";

    /// <summary>(string) "rec" or "cls"; empty = "cls" for a task named cls, else "rec".</summary>
    public string? Kind { get; set; }

    /// <summary>(path) Where <c>&lt;task&gt;.ckpt</c> lives; a restart resumes from it.</summary>
    [Required] public string CheckpointDir { get; set; } = ".peterrec/checkpoints";

    /// <summary>(string) Consumer group; empty = <c>peterrec-trainer-&lt;task&gt;</c>. One trainer per task trains (the lease below).</summary>
    public string? GroupId { get; set; }

    /// <summary>(int) Rows of the target table (the open label space's capacity).</summary>
    [Range(1, 10_000_000)] public int MaxTargets { get; set; } = 10_000;

    /// <summary>(string[]) A closed label set, e.g. the classes of "cls"; empty = open.</summary>
    public List<string> Classes { get; set; } = [];

    /// <summary>(int) Events per optimizer step.</summary>
    [Range(1, 65_536)] public int MicroBatch { get; set; } = 64;

    [Range(1e-7, 1.0)] public double LearningRate { get; set; } = 1e-3;

    /// <summary>(int) Patch bottleneck width; 0 = channels/8. Serving must use the same.</summary>
    [Range(0, 4096)] public int PatchHidden { get; set; }

    [Range(1, 100_000)] public int EvalNegatives { get; set; } = 99;

    [Range(1, 1_000_000)] public int PrequentialWindow { get; set; } = 1000;

    public int Seed { get; set; } = 7;

    /// <summary>(string) auto, cpu or cuda.</summary>
    [Required] public string Device { get; set; } = "auto";

    /// <summary>(int) libtorch threads; 0 = default.</summary>
    [Range(0, 1024)] public int Threads { get; set; }

    /// <summary>(int) Most events per consumed batch; each batch ends with one checkpoint (then its offsets are stored).</summary>
    [Range(1, 1_000_000)] public int BatchEvents { get; set; } = 1024;

    /// <summary>(ms) A batch closes this long after its first event even if not full.</summary>
    [Range(1, 600_000)] public int BatchDelayMs { get; set; } = 1000;

    /// <summary>(int) Publish a patch version after this many steps ...</summary>
    [Range(1, int.MaxValue)] public int PublishEverySteps { get; set; } = 50;

    /// <summary>(seconds) ... or once this long has passed since the last one with at least one new step.</summary>
    [Range(0, 86_400)] public double PublishEverySeconds { get; set; } = 30;

    /// <summary>(int) Patch versions kept in Redis; older ones are deleted when a new one is published.</summary>
    [Range(1, 1000)] public int KeepVersions { get; set; } = 5;

    /// <summary>(seconds) TTL of each patch value (a backstop for trimming); 0 = none. The latest pointer never expires.</summary>
    [Range(0, int.MaxValue)] public int PatchTtlSeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>(double) Skip a step whose gradient norm exceeds this (non-finite loss/gradient: always skipped); 0 = no bound.</summary>
    [Range(0, double.MaxValue)] public double MaxGradNorm { get; set; } = 1000;

    /// <summary>(int) Hold every n-th event back from training, for the publish gate; 0 = no gate beyond finiteness.</summary>
    [Range(0, 1_000_000)] public int HoldoutEvery { get; set; } = 20;

    /// <summary>(int) Latest held-back events the gate evaluates on.</summary>
    [Range(1, 1_000_000)] public int HoldoutSize { get; set; } = 500;

    /// <summary>(int) The gate compares only with at least this many held-back events.</summary>
    [Range(1, 1_000_000)] public int HoldoutMinEvents { get; set; } = 100;

    /// <summary>(metric units) Withhold a candidate whose held-back HR@5 (rec) / accuracy (cls) is below the published one's by more than this.</summary>
    [Range(0, 1)] public double PublishMargin { get; set; } = 0.05;

    /// <summary>(ms) The task's lease: a trainer that stops renewing loses it this long after its last renewal, and a
    /// waiting trainer takes over. Longer = slower takeover after a crash; shorter = a pause (GC, Redis failover) costs the lease.</summary>
    [Range(1000, 3_600_000)] public int LeaseMs { get; set; } = 15_000;

    /// <summary>(ms) How often the holder renews the lease and a waiting trainer tries to take it; at most half of LeaseMs.</summary>
    [Range(100, 1_800_000)] public int LeaseRenewMs { get; set; } = 5_000;

    public string EffectiveKind => string.IsNullOrEmpty(Kind) ? (Task == "cls" ? "cls" : "rec") : Kind;

    public string EffectiveGroupId => string.IsNullOrEmpty(GroupId) ? $"peterrec-trainer-{Task}" : GroupId;

    public LearnerSettings ToLearnerSettings() => new()
    {
        Task = Task, Kind = EffectiveKind, MaxTargets = MaxTargets, Classes = Classes, MicroBatch = MicroBatch,
        LearningRate = LearningRate, PatchHidden = PatchHidden, EvalNegatives = EvalNegatives,
        PrequentialWindow = PrequentialWindow, Seed = Seed, Device = Device, MaxGradNorm = MaxGradNorm,
        HoldoutEvery = HoldoutEvery, HoldoutSize = HoldoutSize, HoldoutMinEvents = HoldoutMinEvents, PublishMargin = PublishMargin,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (EffectiveKind is not ("rec" or "cls"))
            yield return new ValidationResult($"Trainer:Kind '{Kind}': expected rec or cls", [nameof(Kind)]);
        if (Classes.Count > MaxTargets)
            yield return new ValidationResult($"Trainer:Classes has {Classes.Count} entries, more than Trainer:MaxTargets {MaxTargets}", [nameof(Classes)]);
        if (Classes.Distinct(StringComparer.Ordinal).Count() != Classes.Count)
            yield return new ValidationResult("Trainer:Classes lists a class twice", [nameof(Classes)]);
        if (!string.IsNullOrEmpty(BackboneDir) && !File.Exists(Path.Combine(BackboneDir, "config.json")))
            yield return new ValidationResult($"Trainer:BackboneDir '{BackboneDir}' has no config.json (expected a pretrained backbone)", [nameof(BackboneDir)]);
        if (LeaseRenewMs * 2L > LeaseMs)
            yield return new ValidationResult($"Trainer:LeaseRenewMs {LeaseRenewMs} must be at most half of Trainer:LeaseMs {LeaseMs} (one missed renewal must not cost the lease)", [nameof(LeaseRenewMs)]);
        if (Device is not ("auto" or "cpu" or "cuda"))
            yield return new ValidationResult($"Trainer:Device '{Device}': expected auto, cpu or cuda", [nameof(Device)]);
    }
}
