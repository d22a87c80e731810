using static TorchSharp.torch;

namespace PeterRec.Model.Model;

/// <summary>Turns id sequences (oldest first) into left-padded id tensors, as the reference code does.</summary>
public static class Sequences
{
    /// <summary>Keeps the last <paramref name="length"/> ids of each sequence, left-padded with 0.</summary>
    public static Tensor LeftPad(IReadOnlyList<int[]> sequences, int length, Device? device = null) // -> [batch, length]
    {
        var data = new long[sequences.Count * length];
        for (int i = 0; i < sequences.Count; i++)
        {
            var s = sequences[i];
            int take = Math.Min(length, s.Length);
            int row = i * length + (length - take);
            for (int j = 0; j < take; j++) data[row + j] = s[s.Length - take + j];
        }
        return tensor(data, [sequences.Count, length], ScalarType.Int64, device);
    }

    /// <summary>
    /// Cuts long pretraining sequences into windows of <paramref name="length"/> items from the end,
    /// so no click is wasted and each window fits the model.
    /// </summary>
    public static IEnumerable<int[]> Windows(int[] sequence, int length)
    {
        if (sequence.Length <= length) { yield return sequence; yield break; }
        for (int end = sequence.Length; end > 1; end -= length - 1)
        {
            int start = Math.Max(0, end - length);
            yield return sequence[start..end];
            if (start == 0) yield break;
        }
    }
}

public static class Devices
{
    /// <summary>"auto" picks CUDA when libtorch sees a GPU, else the CPU.</summary>
    public static Device Pick(string name) => name.ToLowerInvariant() switch
    {
        "auto" => cuda.is_available() ? CUDA : CPU,
        "cpu" => CPU,
        "cuda" => cuda.is_available() ? CUDA : throw new InvalidOperationException("--device cuda: no CUDA device is visible (build with -p:PeterRecCuda=true on a GPU machine)"),
        _ => throw new ArgumentException($"device '{name}': expected auto, cpu or cuda"),
    };
}
