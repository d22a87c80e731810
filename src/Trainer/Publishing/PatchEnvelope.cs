using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using PeterRec.Model.Storage;

namespace PeterRec.Trainer.Publishing;

/// <summary>What a published patch version says about itself.</summary>
public sealed record PatchManifest
{
    public required string Task { get; init; }
    /// <summary>"rec" or "cls".</summary>
    public required string Kind { get; init; }
    public required long Version { get; init; }
    /// <summary>Optimizer steps the patch has seen.</summary>
    public required long Step { get; init; }
    public required string Mode { get; init; }
    public required int PatchHidden { get; init; }
    public required int Channels { get; init; }
    /// <summary>Rows of the target table (the head's first dimension).</summary>
    public required int Capacity { get; init; }
    /// <summary>Label of each used row, row order: row i names <c>Labels[i]</c>; rows past the end are unused.</summary>
    public required IReadOnlyList<string> Labels { get; init; }
    /// <summary>Content hash of the backbone the patch was trained over (<see cref="ModelStore.Fingerprint"/>).</summary>
    public required string BackboneFingerprint { get; init; }
    public required long CreatedMs { get; init; }
}

/// <summary>
/// The bytes of one patch version in Redis: <c>"PRPV"</c>, format version (int32), manifest length (int32), manifest
/// (UTF-8 JSON), tensor bundle length (int32), the <see cref="TensorBundle"/> of the task's trainable tensors (patches,
/// second LayerNorms, CLS, head; it has its own CRC), then a CRC-32 of everything before it. A truncated or corrupted
/// value is refused whole: the reader never hands out part of a patch.
/// </summary>
public static class PatchEnvelope
{
    private static readonly byte[] Magic = "PRPV"u8.ToArray();
    private const int FormatVersion = 1;

    public static byte[] Write(PatchManifest manifest, ReadOnlySpan<byte> tensors)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(manifest, ModelStore.Json);
        var bytes = new byte[4 + 4 + 4 + json.Length + 4 + tensors.Length + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], json.Length);
        json.CopyTo(span[12..]);
        var at = 12 + json.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], tensors.Length);
        tensors.CopyTo(span[(at + 4)..]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], Crc32.HashToUInt32(span[..^4]));
        return bytes;
    }

    /// <summary>Splits and checks an envelope; throws <see cref="InvalidDataException"/> naming <paramref name="what"/>.</summary>
    public static (PatchManifest Manifest, byte[] Tensors) Read(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length < 20 || !bytes[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"{what}: not a PeterRec patch (bad magic or too short: {bytes.Length} bytes)");
        if (Crc32.HashToUInt32(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]))
            throw new InvalidDataException($"{what}: checksum mismatch (truncated or corrupted, {bytes.Length} bytes)");
        var format = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (format != FormatVersion) throw new InvalidDataException($"{what}: patch format {format}, expected {FormatVersion}");
        var jsonLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        if (jsonLength < 2 || 12 + jsonLength + 8 > bytes.Length) throw new InvalidDataException($"{what}: manifest length {jsonLength} out of range");
        PatchManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<PatchManifest>(bytes.Slice(12, jsonLength), ModelStore.Json)
                       ?? throw new InvalidDataException($"{what}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: manifest is not valid JSON: {e.Message}", e);
        }
        var at = 12 + jsonLength;
        var tensorLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        if (tensorLength < 0 || at + 4 + tensorLength + 4 != bytes.Length)
            throw new InvalidDataException($"{what}: tensor section length {tensorLength} does not match the {bytes.Length}-byte value");
        if (manifest.Labels.Count > manifest.Capacity)
            throw new InvalidDataException($"{what}: {manifest.Labels.Count} labels for a table of {manifest.Capacity} rows");
        return (manifest, bytes.Slice(at + 4, tensorLength).ToArray());
    }
}
