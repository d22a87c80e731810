using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace PeterRec.Model.Storage;

/// <summary>
/// Named float32 tensors to and from <see cref="TensorFile"/> bytes (kind <c>tensors</c>, names as given), and into a
/// module's parameters. Used for in-memory snapshots (the best epoch's state) and by the artifact stores, so a
/// truncated or corrupted blob is always refused with a clear error instead of loading garbage.
/// </summary>
public static class TensorBundle
{
    public const string Kind = "tensors";

    public static byte[] Write(IEnumerable<(string Name, Tensor Value)> tensors) =>
        TensorFile.Write(Kind, new Dictionary<string, string>(), [.. tensors.Select(t => ToEntry(t.Name, t.Value))]);

    /// <summary>Reads a bundle into CPU tensors; throws <see cref="InvalidDataException"/> on any damage.</summary>
    public static Dictionary<string, Tensor> Read(ReadOnlySpan<byte> bytes, string what) =>
        ToTensors(TensorFile.Read(bytes, what, Kind).Tensors, name => name, what);

    /// <summary>The float32 contents of <paramref name="value"/> (any device) as a file entry.</summary>
    public static TensorEntry ToEntry(string name, Tensor value)
    {
        using var cpu = value.detach().to(ScalarType.Float32).cpu().contiguous();
        return TensorEntry.Floats(name, value.shape, cpu.data<float>().ToArray());
    }

    /// <summary>CPU tensors of F32 entries, renamed by <paramref name="rename"/>; refuses duplicates after renaming.</summary>
    public static Dictionary<string, Tensor> ToTensors(IEnumerable<TensorEntry> entries, Func<string, string> rename, string what)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var e in entries)
            {
                string name;
                try { name = rename(e.Name); }
                catch (InvalidDataException x) { throw new InvalidDataException($"{what}: {x.Message}", x); }
                if (e.DType != TensorDType.F32) throw new InvalidDataException($"{what}: '{e.Name}' is {e.DType}, expected F32 weights");
                if (result.ContainsKey(name)) throw new InvalidDataException($"{what}: '{e.Name}' names '{name}' twice");
                result[name] = tensor(MemoryMarshal.Cast<byte, float>(e.Data).ToArray(), e.Shape);
            }
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Copies bundle tensors into a module's parameters by name. Every bundle entry must name an existing parameter of
    /// the same shape and <paramref name="required"/> names must all be present; nothing is copied unless all fit.
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
