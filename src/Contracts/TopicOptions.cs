using System.ComponentModel.DataAnnotations;

namespace PeterRec.Contracts;

/// <summary>
/// Topic names (configuration section <c>Topics</c>). Keys are user ids everywhere, so one user's records stay in one
/// partition and every role can scale by partition. Values are UTF-8 JSON, except the dead-letter topic, whose
/// values are the rejected raw bytes. None of the topics is compacted.
/// </summary>
public sealed class TopicOptions
{
    public const string Section = "Topics";

    /// <summary>key = user, value = <see cref="ClickEvent"/> JSON.</summary>
    [Required] public string Clicks { get; set; } = "peterrec.clicks";

    /// <summary>key = user, value = <see cref="TaskEvent"/> JSON (target-task labels for fine-tuning).</summary>
    [Required] public string TaskEvents { get; set; } = "peterrec.task-events";

    /// <summary>key = user, value = <see cref="ChangedUser"/> JSON, written by Ingest after a window update.</summary>
    [Required] public string ChangedUsers { get; set; } = "peterrec.changed-users";

    /// <summary>key = task, value = <see cref="VersionAnnouncement"/> JSON (written by the Trainer when it publishes a version).</summary>
    [Required] public string Patches { get; set; } = "peterrec.patches";

    /// <summary>key = original key, value = original bytes, headers <see cref="DeadLetters"/>.</summary>
    [Required] public string DeadLetter { get; set; } = "peterrec.dead-letter";

    public IReadOnlyList<string> All => [Clicks, TaskEvents, ChangedUsers, Patches, DeadLetter];
}
