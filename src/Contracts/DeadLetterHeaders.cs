namespace PeterRec.Contracts;

/// <summary>
/// Dead-letter records keep the rejected key and raw value byte for byte (a key that is not UTF-8 too; a null key or
/// value stays null) and the producer's headers, plus these headers (after the producer's) saying why and where from,
/// so they can be inspected and replayed. Every role writes them (Ingest: clicks; Trainer: task events;
/// Serving: changed users and version announcements) to <see cref="TopicOptions.DeadLetter"/>.
/// </summary>
public static class DeadLetterHeaders
{
    /// <summary><c>kind: detail</c>, e.g. <c>missing_field: field 'ts' is required</c> (see <see cref="DeadLetterReason"/>).</summary>
    public const string Reason = "peterrec.reason";
    public const string SourceTopic = "peterrec.source-topic";
    public const string Partition = "peterrec.partition";
    public const string Offset = "peterrec.offset";
    /// <summary>Set when the value was cut to <see cref="MaxValueBytes"/>: the original length.</summary>
    public const string OriginalSize = "peterrec.original-size";
    /// <summary>Set when the key was cut to <see cref="MaxValueBytes"/>: the original length in bytes.</summary>
    public const string OriginalKeySize = "peterrec.original-key-size";

    /// <summary>Longest value kept; a longer one is cut (its size goes in a header) so the dead letter itself fits the
    /// broker's message size limit and cannot become a poison record of its own.</summary>
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>Longest reason detail kept (UTF-16 units).</summary>
    public const int MaxTextLength = 1024;
}
