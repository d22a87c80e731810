using System.Globalization;
using System.Text;
using Confluent.Kafka;
using PeterRec.Contracts;

namespace PeterRec.Kafka;

/// <summary>Builds dead-letter records (layout: <see cref="DeadLetterHeaders"/>) from rejected records.</summary>
public static class DeadLetters
{
    /// <param name="reason">Written as <c>kind: detail</c>, e.g. <c>missing_field: field 'ts' is required</c>.</param>
    public static Message<string, byte[]> ToMessage(ConsumeResult<string, byte[]> source, DeadLetterReason reason, string detail)
    {
        var headers = new Headers
        {
            { DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes($"{reason.ToKind()}: {Cut(detail)}") },
            { DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(source.Topic) },
            { DeadLetterHeaders.Partition, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)) },
            { DeadLetterHeaders.Offset, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)) },
        };
        var value = source.Message.Value ?? [];
        if (value.Length > DeadLetterHeaders.MaxValueBytes)
        {
            headers.Add(DeadLetterHeaders.OriginalSize, Encoding.UTF8.GetBytes(value.Length.ToString(CultureInfo.InvariantCulture)));
            value = value[..DeadLetterHeaders.MaxValueBytes];
        }
        var key = source.Message.Key is { } k ? Cut(k) : null;
        return new Message<string, byte[]> { Key = key!, Value = value, Headers = headers };
    }

    private static string Cut(string s) => s.Length <= DeadLetterHeaders.MaxTextLength ? s : s[..DeadLetterHeaders.MaxTextLength];

    public static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
