using System.ComponentModel.DataAnnotations;

namespace PeterRec.Serving.Hosting;

/// <summary>The Serving role (configuration section <c>Serving</c>, env <c>PETERREC_Serving__Tasks__0</c> etc.).</summary>
public sealed class ServingOptions : IValidatableObject
{
    public const string Section = "Serving";

    /// <summary>(path) Pretrained backbone directory; loaded once and shared by every task.</summary>
    [Required] public string BackboneDir { get; set; } = "";

    /// <summary>(string[]) Tasks to serve, e.g. rec, cls; each needs published patches.</summary>
    [MinLength(1)] public List<string> Tasks { get; set; } = [];

    /// <summary>(string) Consumer group over changed users; servers in one group split the users.</summary>
    [Required] public string GroupId { get; set; } = "peterrec-serving";

    /// <summary>(int) Recommendations written per user and task.</summary>
    [Range(1, 10_000)] public int TopN { get; set; } = 10;

    /// <summary>(bool) Also write each user's representation (<c>rep:&lt;task&gt;</c>).</summary>
    public bool WriteReps { get; set; } = true;

    /// <summary>(int) Patch bottleneck width; 0 = channels/8. Must match the trainers.</summary>
    [Range(0, 4096)] public int PatchHidden { get; set; }

    /// <summary>(string) auto, cpu or cuda.</summary>
    [Required] public string Device { get; set; } = "auto";

    /// <summary>(int) libtorch threads; 0 = default.</summary>
    [Range(0, 1024)] public int Threads { get; set; }

    /// <summary>(int) Most changed-user records per batch (one forward pass per task per batch).</summary>
    [Range(1, 100_000)] public int MaxBatchSize { get; set; } = 256;

    /// <summary>(ms) A batch closes this long after its first record.</summary>
    [Range(1, 60_000)] public int MaxBatchDelayMs { get; set; } = 20;

    /// <summary>(ms) How often the latest-patch pointers are polled, besides the announcements on the patches topic.</summary>
    [Range(50, 3_600_000)] public int PatchPollMs { get; set; } = 2000;

    /// <summary>(seconds) When a new version comes into service, users scored within this horizon are re-scored with
    /// it in the background (one server per version does it); 0 = never re-score idle users.</summary>
    [Range(0, 7 * 86_400)] public int RescoreHorizonSeconds { get; set; } = 600;

    /// <summary>(int) Background scoring (re-scores and users waiting for a task's first version), users per second at
    /// most, so live changed users keep the forward passes.</summary>
    [Range(1, 1_000_000)] public int BackgroundUsersPerSecond { get; set; } = 200;

    /// <summary>(int) Most users kept per task while it has no version yet (pending) and per task for re-scoring
    /// (active); beyond it the oldest are forgotten (they are scored on their next click).</summary>
    [Range(1, 10_000_000)] public int BacklogCap { get; set; } = 100_000;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Tasks.Any(string.IsNullOrWhiteSpace) || Tasks.Distinct(StringComparer.Ordinal).Count() != Tasks.Count)
            yield return new ValidationResult("Serving:Tasks must be distinct, non-empty task names", [nameof(Tasks)]);
        if (!string.IsNullOrEmpty(BackboneDir) && !File.Exists(Path.Combine(BackboneDir, "config.json")))
            yield return new ValidationResult($"Serving:BackboneDir '{BackboneDir}' has no config.json (expected a pretrained backbone)", [nameof(BackboneDir)]);
        if (Device is not ("auto" or "cpu" or "cuda"))
            yield return new ValidationResult($"Serving:Device '{Device}': expected auto, cpu or cuda", [nameof(Device)]);
    }
}
