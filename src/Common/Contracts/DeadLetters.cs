using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace PeterRec.Common.Contracts;

/// <summary>
/// Dead-letter records keep the rejected key and raw value byte for byte, plus headers saying why and where from,
/// so they can be inspected and replayed.
/// </summary>
public static class DeadLetters
{
    public const string ReasonHeader = "peterrec.reason";
    public const string SourceTopicHeader = "peterrec.source-topic";
    public const string PartitionHeader = "peterrec.partition";
    public const string OffsetHeader = "peterrec.offset";
    public const string OriginalSizeHeader = "peterrec.original-size";

    /// <summary>Longest value kept; a longer one is cut (its size goes in a header) so the dead letter itself fits the
    /// broker's message size limit and cannot become a poison record of its own.</summary>
    public const int MaxValueBytes = 64 * 1024;

    /// <summary>Longest key (UTF-16 units) and reason detail kept.</summary>
    public const int MaxTextLength = 1024;

    /// <param name="reason">Written as <c>kind: detail</c>, e.g. <c>missing_field: field 'ts' is required</c>.</param>
    public static Message<string, byte[]> ToMessage(ConsumeResult<string, byte[]> source, DeadLetterReason reason, string detail)
    {
        var headers = new Headers
        {
            { ReasonHeader, Encoding.UTF8.GetBytes($"{reason.ToKind()}: {Cut(detail)}") },
            { SourceTopicHeader, Encoding.UTF8.GetBytes(source.Topic) },
            { PartitionHeader, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
            { OffsetHeader, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
        };
        var value = source.Message.Value ?? [];
        if (value.Length > MaxValueBytes)
        {
            headers.Add(OriginalSizeHeader, Encoding.UTF8.GetBytes(value.Length.ToString(CultureInfo.InvariantCulture)));
            value = value[..MaxValueBytes];
        }
        var key = source.Message.Key is { } k ? Cut(k) : null;
        return new Message<string, byte[]> { Key = key!, Value = value, Headers = headers };
    }

    private static string Cut(string s) => s.Length <= MaxTextLength ? s : s[..MaxTextLength];

    public static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
