using System.Text;
using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>
/// Keys decode without ever throwing (invalid UTF-8 becomes U+FFFD). A throwing deserializer would make
/// Consume() skip the record, which would then be lost without reaching the dead-letter topic.
/// </summary>
public sealed class LenientUtf8KeyDeserializer : IDeserializer<string>
{
    public static readonly LenientUtf8KeyDeserializer Instance = new();

    public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) =>
        isNull ? null! : Encoding.UTF8.GetString(data);
}
