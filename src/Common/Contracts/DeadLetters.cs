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

    /// <param name="reason">Written as <c>kind: detail</c>, e.g. <c>missing_field: field 'ts' is required</c>.</param>
    public static Message<string, byte[]> ToMessage(ConsumeResult<string, byte[]> source, DeadLetterReason reason, string detail)
    {
        var headers = new Headers
        {
            { ReasonHeader, Encoding.UTF8.GetBytes($"{reason.ToKind()}: {detail}") },
            { SourceTopicHeader, Encoding.UTF8.GetBytes(source.Topic) },
            { PartitionHeader, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
            { OffsetHeader, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
        };
        return new Message<string, byte[]> { Key = source.Message.Key, Value = source.Message.Value ?? [], Headers = headers };
    }

    public static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
