using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>
/// Keys decode without ever throwing (invalid UTF-8 becomes U+FFFD). A throwing deserializer would make
/// Consume() skip the record, which would then be lost without reaching the dead-letter topic.
/// </summary>
/// <remarks>
/// The bytes of a key that is not valid UTF-8 are remembered beside the decoded string (weakly, for as long as that
/// string lives), so <see cref="OriginalBytes"/> gives a dead letter the key exactly as it was produced.
/// </remarks>
public sealed class LenientUtf8KeyDeserializer : IDeserializer<string>
{
    public static readonly LenientUtf8KeyDeserializer Instance = new();

    private static readonly ConditionalWeakTable<string, byte[]> Undecodable = new();

    public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
    {
        if (isNull) return null!;
        var key = Encoding.UTF8.GetString(data);
        if (!Utf8.IsValid(data)) Undecodable.AddOrUpdate(key, data.ToArray());
        return key;
    }

    /// <summary>The bytes a consumed key arrived as: null for a null key; a valid UTF-8 key round-trips exactly.</summary>
    public static byte[]? OriginalBytes(string? key) =>
        key is null ? null : Undecodable.TryGetValue(key, out var raw) ? raw : Encoding.UTF8.GetBytes(key);
}
