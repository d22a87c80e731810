using System.Globalization;
using System.Text;
using Confluent.Kafka;
using PeterRec.Contracts;

namespace PeterRec.Kafka;

/// <summary>Builds dead-letter records (layout: <see cref="DeadLetterHeaders"/>) from rejected records.</summary>
public static class DeadLetters
{
    /// <summary>
    /// The rejected record byte for byte: its key as it arrived (also when not UTF-8), its value (null stays null), its
    /// producer's headers, then our headers (last, so they win for a reader that takes the last of a name).
    /// </summary>
    /// <param name="reason">Written as <c>kind: detail</c>, e.g. <c>missing_field: field 'ts' is required</c>.</param>
    public static Message<byte[], byte[]> ToMessage(ConsumeResult<string, byte[]> source, DeadLetterReason reason, string detail)
    {
        var headers = new Headers();
        foreach (var h in source.Message.Headers ?? []) headers.Add(h.Key, h.GetValueBytes());
        headers.Add(DeadLetterHeaders.Reason, Encoding.UTF8.GetBytes($"{reason.ToKind()}: {Cut(detail)}"));
        headers.Add(DeadLetterHeaders.SourceTopic, Encoding.UTF8.GetBytes(source.Topic));
        headers.Add(DeadLetterHeaders.Partition, Encoding.UTF8.GetBytes(source.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add(DeadLetterHeaders.Offset, Encoding.UTF8.GetBytes(source.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        var value = source.Message.Value;
        if (value is { Length: > DeadLetterHeaders.MaxValueBytes })
        {
            headers.Add(DeadLetterHeaders.OriginalSize, Encoding.UTF8.GetBytes(value.Length.ToString(CultureInfo.InvariantCulture)));
            value = value[..DeadLetterHeaders.MaxValueBytes];
        }
        var key = LenientUtf8KeyDeserializer.OriginalBytes(source.Message.Key);
        if (key is { Length: > DeadLetterHeaders.MaxValueBytes })
        {
            headers.Add(DeadLetterHeaders.OriginalKeySize, Encoding.UTF8.GetBytes(key.Length.ToString(CultureInfo.InvariantCulture)));
            key = key[..DeadLetterHeaders.MaxValueBytes];
        }
        return new Message<byte[], byte[]> { Key = key!, Value = value!, Headers = headers };
    }

    private static string Cut(string s) => s.Length <= DeadLetterHeaders.MaxTextLength ? s : s[..DeadLetterHeaders.MaxTextLength];

    public static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
