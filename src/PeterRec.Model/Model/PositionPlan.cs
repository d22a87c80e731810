namespace PeterRec.Model.Model;

/// <summary>Where one convolution reads: output position t reads input t - PadLeft + j*Dilation, j = 0..Kernel-1.</summary>
public readonly record struct ConvGeometry(int Kernel, int Dilation, int PadLeft);

/// <summary>
/// The positions each residual block must compute so that a chosen set of top-layer positions comes out
/// exactly as the full stack computes it. A task reads one position (the [CLS] output of the top block),
/// and with dilated convolutions the top layers depend on a handful of positions: at 51 positions and
/// dilations 1,4,... the top conv needs 3 of its input's positions, the conv below it 7, then 15, 31, 47,
/// and only the lower blocks need all of them. Positions outside [0, seq) read the conv's zero padding.
/// </summary>
public sealed class PositionPlan
{
    /// <summary>Positions (ascending) of a block's input, of its first conv's output, and of its output.</summary>
    public sealed record Block(long[] Input, long[] Middle, long[] Output);

    public int Length { get; }
    public IReadOnlyList<Block> Blocks { get; }

    private PositionPlan(int length, Block[] blocks) { Length = length; Blocks = blocks; }

    /// <summary>
    /// Plans from the top down: a block's output positions come from the block above; its middle positions
    /// are what its second conv reads; its input positions what the first conv reads plus the residual's own.
    /// </summary>
    public static PositionPlan For(int length, IReadOnlyList<(ConvGeometry First, ConvGeometry Second)> blocks, IEnumerable<long> wanted)
    {
        var plan = new Block[blocks.Count];
        var output = new SortedSet<long>(wanted);
        if (output.Count == 0 || output.Min < 0 || output.Max >= length)
            throw new ArgumentOutOfRangeException(nameof(wanted), $"positions must lie in [0, {length})");
        for (int b = blocks.Count - 1; b >= 0; b--)
        {
            var middle = Reads(output, blocks[b].Second, length);
            var input = Reads(middle, blocks[b].First, length);
            input.UnionWith(output);
            plan[b] = new Block([.. input], [.. middle], [.. output]);
            output = input;
        }
        return new PositionPlan(length, plan);
    }

    // The outputs themselves are always kept: a parallel patch reads the conv's input at its output positions.
    private static SortedSet<long> Reads(SortedSet<long> outputs, ConvGeometry g, int length)
    {
        var reads = new SortedSet<long>(outputs);
        foreach (var t in outputs)
            for (int j = 0; j < g.Kernel; j++)
            {
                long s = t - g.PadLeft + (long)j * g.Dilation;
                if (s >= 0 && s < length) reads.Add(s);
            }
        return reads;
    }

    /// <summary>Whether a list of positions is every position, so the dense kernels apply unchanged.</summary>
    public bool IsAll(long[] positions) => positions.Length == Length;

    /// <summary>
    /// For each tap j (major) and output i (minor): 1 + the index in <paramref name="input"/> of the position
    /// output i reads at tap j, or 0 where it reads the zero padding (index 0 is a zero column).
    /// </summary>
    public static long[] TapIndex(long[] input, long[] output, ConvGeometry g)
    {
        var at = new Dictionary<long, long>(input.Length);
        for (int i = 0; i < input.Length; i++) at[input[i]] = i + 1;
        var idx = new long[g.Kernel * output.Length];
        for (int j = 0; j < g.Kernel; j++)
            for (int i = 0; i < output.Length; i++)
                idx[j * output.Length + i] = at.GetValueOrDefault(output[i] - g.PadLeft + (long)j * g.Dilation);
        return idx;
    }

    /// <summary>Index in <paramref name="from"/> of each of <paramref name="subset"/>'s positions.</summary>
    public static long[] IndexOf(long[] from, long[] subset)
    {
        var at = new Dictionary<long, long>(from.Length);
        for (int i = 0; i < from.Length; i++) at[from[i]] = i;
        return [.. subset.Select(p => at[p])];
    }
}
