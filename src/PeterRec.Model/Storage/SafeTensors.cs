using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeterRec.Model.Storage;

/// <summary>Element types the files carry: F32 weights, I64 counters (e.g. Adam's step).</summary>
public enum TensorDType { F32, I64 }

/// <summary>One named tensor: element type, shape and its raw little-endian bytes (row-major).</summary>
public sealed record TensorEntry(string Name, TensorDType DType, long[] Shape, byte[] Data)
{
    public long Elements => Shape.Aggregate(1L, (a, d) => checked(a * d));

    public static int ElementSize(TensorDType dtype) => dtype == TensorDType.F32 ? 4 : 8;

    public float[] AsFloats()
    {
        if (DType != TensorDType.F32) throw new InvalidDataException($"'{Name}' is {DType}, expected F32");
        var values = new float[Data.Length / 4];
        Buffer.BlockCopy(Data, 0, values, 0, Data.Length);
        return values;
    }

    public static TensorEntry Floats(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var data = new byte[values.Length * 4];
        System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(data);
        return new TensorEntry(name, TensorDType.F32, shape, data);
    }

    public static TensorEntry Int64(string name, long value)
    {
        var data = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(data, value);
        return new TensorEntry(name, TensorDType.I64, [], data);
    }

    public long AsInt64Scalar() =>
        DType == TensorDType.I64 && Shape.Length == 0 ? BinaryPrimitives.ReadInt64LittleEndian(Data)
            : throw new InvalidDataException($"'{Name}' is {DType} [{string.Join(",", Shape)}], expected an I64 scalar");
}

/// <summary>A parsed file: the <c>__metadata__</c> string map and the tensors in data order.</summary>
public sealed record SafeTensorsContent(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<TensorEntry> Tensors);

/// <summary>
/// The safetensors layout (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N, N bytes
/// of UTF-8 JSON, then the raw data. The JSON maps each tensor name to <c>{"dtype", "shape", "data_offsets": [begin,
/// end]}</c> (offsets relative to the data, which they cover without holes) and <c>"__metadata__"</c> to a string
/// map. The header is padded with spaces so the data starts 8-byte aligned. Readable by any safetensors reader and,
/// with a few lines of Python (<c>json</c> + <c>numpy.frombuffer</c>), without one.
/// </summary>
public static class SafeTensors
{
    public const string MetadataKey = "__metadata__";
    private const int MaxHeaderBytes = 100 * 1024 * 1024;

    public static byte[] Write(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorEntry> tensors)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("tensor files are little-endian; this machine is not");
        using var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteStartObject(MetadataKey);
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                if (t.Name == MetadataKey || t.Name.Length == 0) throw new ArgumentException($"bad tensor name '{t.Name}'");
                if (t.Data.Length != t.Elements * TensorEntry.ElementSize(t.DType))
                    throw new ArgumentException($"'{t.Name}': {t.Data.Length} bytes for shape [{string.Join(",", t.Shape)}] of {t.DType}");
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", t.DType.ToString());
                w.WriteStartArray("shape");
                foreach (var d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + t.Data.Length);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += t.Data.Length;
            }
            w.WriteEndObject();
        }
        var json = header.ToArray();
        var padded = (json.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + tensors.Sum(t => (long)t.Data.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)padded);
        json.CopyTo(bytes, 8);
        bytes.AsSpan(8 + json.Length, padded - json.Length).Fill((byte)' ');
        var at = 8 + padded;
        foreach (var t in tensors)
        {
            t.Data.CopyTo(bytes, at);
            at += t.Data.Length;
        }
        return bytes;
    }

    /// <summary>Parses and checks the layout; throws <see cref="InvalidDataException"/> naming <paramref name="what"/>.</summary>
    public static SafeTensorsContent Read(ReadOnlySpan<byte> bytes, string what)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("tensor files are little-endian; this machine is not");
        if (bytes.Length < 8) throw new InvalidDataException($"{what}: {bytes.Length} bytes, too short for a safetensors file");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength < 2 || headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"{what}: header length {headerLength} does not fit the {bytes.Length}-byte file (truncated or not safetensors)");
        var data = bytes[(8 + (int)headerLength)..];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes.Slice(8, (int)headerLength).ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{what}: header is not a JSON object");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var tensors = new List<(TensorEntry Entry, long Begin)>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name)) throw new InvalidDataException($"{what}: '{property.Name}' appears twice in the header");
                if (property.Name == MetadataKey) ReadMetadata(property.Value, metadata, what);
                else tensors.Add(ReadTensor(property.Name, property.Value, data, what));
            }
            // The data must be covered exactly, without holes or overlaps (the safetensors rule).
            long expected = 0;
            foreach (var (entry, begin) in tensors.OrderBy(t => t.Begin))
            {
                if (begin != expected) throw new InvalidDataException($"{what}: '{entry.Name}' starts at byte {begin} of the data, expected {expected} (hole or overlap)");
                expected += entry.Data.Length;
            }
            if (expected != data.Length)
                throw new InvalidDataException($"{what}: the tensors cover {expected} of {data.Length} data bytes (truncated or trailing bytes)");
            return new SafeTensorsContent(metadata, [.. tensors.OrderBy(t => t.Begin).Select(t => t.Entry)]);
        }
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string what)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{what}: {MetadataKey} is not an object");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{what}: metadata '{p.Name}' is not a string");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!)) throw new InvalidDataException($"{what}: metadata '{p.Name}' appears twice");
        }
    }

    private static (TensorEntry, long) ReadTensor(string name, JsonElement value, ReadOnlySpan<byte> data, string what)
    {
        try
        {
            if (value.ValueKind != JsonValueKind.Object) throw new InvalidDataException("not an object");
            var dtype = value.GetProperty("dtype").GetString() switch
            {
                "F32" => TensorDType.F32,
                "I64" => TensorDType.I64,
                var other => throw new InvalidDataException($"dtype '{other}' (expected F32 or I64)"),
            };
            var shape = value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (shape.Length > 8 || shape.Any(d => d < 0)) throw new InvalidDataException($"bad shape [{string.Join(",", shape)}]");
            var offsets = value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > data.Length)
                throw new InvalidDataException($"data_offsets [{string.Join(",", offsets)}] outside the {data.Length}-byte data");
            var entry = new TensorEntry(name, dtype, shape, data[(int)offsets[0]..(int)offsets[1]].ToArray());
            if (entry.Data.Length != checked(entry.Elements * TensorEntry.ElementSize(dtype)))
                throw new InvalidDataException($"{entry.Data.Length} bytes for shape [{string.Join(",", shape)}] of {dtype}");
            return (entry, offsets[0]);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException)
        {
            throw new InvalidDataException($"{what}: tensor '{name}': {e.Message}", e);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{what}: tensor '{name}': {e.Message}", e);
        }
    }

    /// <summary>The canonical text of a header: metadata (but <paramref name="skipKey"/>) and tensor descriptors, sorted by name.</summary>
    internal static string Canonical(IReadOnlyDictionary<string, string> metadata, IReadOnlyList<TensorEntry> tensors, string skipKey)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in metadata.Where(kv => kv.Key != skipKey).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(k).Append('=').Append(v).Append('\n');
        long offset = 0;
        var begins = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var t in tensors) { begins[t.Name] = offset; offset += t.Data.Length; }
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
            sb.Append(t.Name).Append(':').Append(t.DType).Append(':').Append(string.Join(",", t.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))))
              .Append(':').Append(begins[t.Name].ToString(CultureInfo.InvariantCulture))
              .Append(':').Append((begins[t.Name] + t.Data.Length).ToString(CultureInfo.InvariantCulture)).Append('\n');
        return sb.ToString();
    }
}
