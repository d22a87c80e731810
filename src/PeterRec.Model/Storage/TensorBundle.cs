using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using static TorchSharp.torch;

namespace PeterRec.Model.Storage;

/// <summary>
/// A named set of float32 tensors in one self-checking binary blob: magic, version, entries
/// (name, shape, little-endian data), then a CRC-32 of everything before it. Used for backbones,
/// task checkpoints and the patch versions the trainer publishes, so a truncated or corrupted
/// blob is always refused with a clear error instead of loading garbage.
/// </summary>
public static class TensorBundle
{
    private static readonly byte[] Magic = "PRTB"u8.ToArray();
    private const int Version = 1;
    private const int MaxEntries = 100_000, MaxRank = 8, MaxName = 1024;

    public static byte[] Write(IEnumerable<(string Name, Tensor Value)> tensors)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            var list = tensors.ToList();
            w.Write(Magic);
            w.Write(Version);
            w.Write(list.Count);
            foreach (var (name, value) in list)
            {
                w.Write(name);
                var shape = value.shape;
                w.Write((byte)shape.Length);
                foreach (var d in shape) w.Write(d);
                using var cpu = value.detach().to(ScalarType.Float32).cpu().contiguous();
                var data = cpu.data<float>().ToArray();
                w.Write(MemoryMarshal.AsBytes(data.AsSpan()));
            }
        }
        var crc = Crc32.HashToUInt32(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        ms.Write(BitConverter.GetBytes(crc));
        return ms.ToArray();
    }

    /// <summary>Reads a bundle into CPU tensors; throws <see cref="InvalidDataException"/> on any damage.</summary>
    public static Dictionary<string, Tensor> Read(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length < Magic.Length + 12 || !bytes[..4].SequenceEqual(Magic))
            throw new InvalidDataException($"{what}: not a PeterRec tensor bundle (bad magic or too short: {bytes.Length} bytes)");
        var body = bytes[..^4];
        var stored = BitConverter.ToUInt32(bytes[^4..]);
        if (Crc32.HashToUInt32(body) != stored)
            throw new InvalidDataException($"{what}: checksum mismatch (truncated or corrupted, {bytes.Length} bytes)");
        using var r = new BinaryReader(new MemoryStream(body.ToArray()), Encoding.UTF8);
        r.ReadBytes(4);
        var version = r.ReadInt32();
        if (version != Version) throw new InvalidDataException($"{what}: bundle version {version}, expected {Version}");
        var count = r.ReadInt32();
        if (count < 0 || count > MaxEntries) throw new InvalidDataException($"{what}: entry count {count} out of range");
        var result = new Dictionary<string, Tensor>(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                if (name.Length is 0 or > MaxName) throw new InvalidDataException($"{what}: entry {i} has a bad name");
                int rank = r.ReadByte();
                if (rank > MaxRank) throw new InvalidDataException($"{what}: '{name}' has rank {rank}");
                var shape = new long[rank];
                long n = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = r.ReadInt64();
                    if (shape[d] < 0 || shape[d] > int.MaxValue) throw new InvalidDataException($"{what}: '{name}' has dimension {shape[d]}");
                    n = checked(n * shape[d]);
                }
                if (n * 4 > r.BaseStream.Length - r.BaseStream.Position)
                    throw new InvalidDataException($"{what}: '{name}' claims {n} floats but the blob is shorter");
                var data = new float[n];
                r.Read(MemoryMarshal.AsBytes(data.AsSpan()));
                if (!result.TryAdd(name, tensor(data, shape)))
                    throw new InvalidDataException($"{what}: duplicate entry '{name}'");
            }
            if (r.BaseStream.Position != r.BaseStream.Length)
                throw new InvalidDataException($"{what}: {r.BaseStream.Length - r.BaseStream.Position} trailing bytes");
        }
        catch (EndOfStreamException)
        {
            foreach (var t in result.Values) t.Dispose();
            throw new InvalidDataException($"{what}: ends in the middle of an entry");
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    /// <summary>
    /// Copies bundle tensors into a module's parameters by name. Every bundle entry must name an
    /// existing parameter of the same shape; <paramref name="required"/> names must all be present.
    /// </summary>
    public static void LoadInto(nn.Module module, IReadOnlyDictionary<string, Tensor> bundle, string what, IEnumerable<string>? required = null)
    {
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in bundle)
        {
            if (!parameters.TryGetValue(name, out var p))
                throw new InvalidDataException($"{what}: '{name}' is not a parameter of this model");
            if (!p.shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"{what}: '{name}' has shape [{string.Join(",", value.shape)}], the model expects [{string.Join(",", p.shape)}]");
        }
        var missing = (required ?? []).Where(n => !bundle.ContainsKey(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{what}: missing {missing.Count} tensor(s), e.g. '{missing[0]}'");
        using var _ = no_grad();
        foreach (var (name, value) in bundle) parameters[name].copy_(value);
    }
}
