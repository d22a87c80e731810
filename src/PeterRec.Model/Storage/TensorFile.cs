using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace PeterRec.Model.Storage;

/// <summary>
/// Every tensor file PeterRec writes (backbone, task, trainer checkpoint, published version, in-memory snapshots) is
/// a safetensors file (<see cref="SafeTensors"/>) sealed with three metadata entries:
/// <list type="bullet">
/// <item><c>peterrec.format</c> = <c>1</c></item>
/// <item><c>peterrec.kind</c> = <c>backbone</c> | <c>task</c> | <c>checkpoint</c> | <c>version</c> | <c>tensors</c></item>
/// <item><c>peterrec.crc32</c> = 8 lowercase hex digits: CRC-32 (IEEE, as zlib's) of the data bytes followed by the
/// UTF-8 of the canonical header: every other metadata entry as <c>key=value\n</c>, then every tensor as
/// <c>name:dtype:d0,d1,...:begin:end\n</c>, both sorted by name (ordinal).</item>
/// </list>
/// So a flipped bit anywhere (data, shapes, offsets, metadata such as an embedded manifest) is refused, while any
/// safetensors reader still opens the file. A file of the pre-safetensors formats (magic <c>PRTB</c>, <c>PRCK</c>,
/// <c>PRPV</c>) is refused with the command that converts it.
/// </summary>
public static class TensorFile
{
    public const string FormatKey = "peterrec.format";
    public const string KindKey = "peterrec.kind";
    public const string CrcKey = "peterrec.crc32";
    public const string Format = "1";

    public const string ConvertHint = "`peterrec convert --backbone DIR [--task-dir DIR] [--checkpoint FILE]` rewrites it as safetensors";

    public static byte[] Write(string kind, IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorEntry> tensors)
    {
        if (metadata.Keys.Any(k => k is FormatKey or KindKey or CrcKey)) throw new ArgumentException("reserved metadata key");
        var sealedMeta = new Dictionary<string, string>(metadata, StringComparer.Ordinal) { [FormatKey] = Format, [KindKey] = kind };
        sealedMeta[CrcKey] = Crc(sealedMeta, tensors);
        return SafeTensors.Write(sealedMeta, tensors);
    }

    /// <summary>Reads and verifies a sealed file of <paramref name="kind"/>; throws <see cref="InvalidDataException"/> naming <paramref name="what"/>.</summary>
    public static SafeTensorsContent Read(ReadOnlySpan<byte> bytes, string what, string kind)
    {
        if (LegacyMagic(bytes) is { } legacy)
            throw new InvalidDataException($"{what}: this is the pre-safetensors PeterRec format ({legacy}), no longer read; {ConvertHint}");
        SafeTensorsContent content;
        try
        {
            content = SafeTensors.Read(bytes, what);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{what}: truncated or corrupted, refused before its checksum could even be checked ({e.Message})", e);
        }
        var m = content.Metadata;
        if (!m.TryGetValue(CrcKey, out var stored) || !m.TryGetValue(KindKey, out var actualKind) || !m.TryGetValue(FormatKey, out var format))
            throw new InvalidDataException($"{what}: a safetensors file without PeterRec's seal ({FormatKey}, {KindKey}, {CrcKey}); see docs/file-format.md for how to write one");
        if (format != Format) throw new InvalidDataException($"{what}: PeterRec tensor format {format}, this build reads {Format}");
        if (stored != Crc(m, content.Tensors))
            throw new InvalidDataException($"{what}: checksum mismatch (the data or the header, e.g. an embedded manifest, was changed or damaged)");
        if (actualKind != kind) throw new InvalidDataException($"{what}: holds a {actualKind}, expected a {kind}");
        return content;
    }

    /// <summary>"PRTB", "PRCK" or "PRPV" when the bytes start like a file of the retired formats.</summary>
    public static string? LegacyMagic(ReadOnlySpan<byte> bytes) =>
        bytes.Length >= 4 && (bytes[..4].SequenceEqual("PRTB"u8) || bytes[..4].SequenceEqual("PRCK"u8) || bytes[..4].SequenceEqual("PRPV"u8))
            ? Encoding.ASCII.GetString(bytes[..4]) : null;

    private static string Crc(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorEntry> tensors)
    {
        var crc = new Crc32();
        foreach (var t in tensors) crc.Append(t.Data);
        crc.Append(Encoding.UTF8.GetBytes(SafeTensors.Canonical(metadata, tensors, CrcKey)));
        return crc.GetCurrentHashAsUInt32().ToString("x8", CultureInfo.InvariantCulture);
    }
}
