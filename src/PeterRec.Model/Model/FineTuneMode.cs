namespace PeterRec.Model.Model;

/// <summary>
/// How a task adapts the pretrained backbone (PeterRec §4.2 baselines and §3.3).
/// </summary>
public enum FineTuneMode
{
    /// <summary>No pretraining: the whole network trains from random weights.</summary>
    Scratch,
    /// <summary>Only the [CLS] embedding and the new head train.</summary>
    FineCls,
    /// <summary>The last residual block, [CLS] and head train.</summary>
    FineLast1,
    /// <summary>The last two residual blocks, [CLS] and head train.</summary>
    FineLast2,
    /// <summary>Everything trains, starting from the pretrained weights.</summary>
    FineAll,
    /// <summary>Model patches after each conv, the second LayerNorm of each block, [CLS] and head train.</summary>
    PeterRecSerial,
    /// <summary>Model patches beside each conv, the second LayerNorm of each block, [CLS] and head train.</summary>
    PeterRecParallel,
}

public static class FineTuneModes
{
    public static readonly IReadOnlyDictionary<string, FineTuneMode> ByName = new Dictionary<string, FineTuneMode>
    {
        ["scratch"] = FineTuneMode.Scratch,
        ["finecls"] = FineTuneMode.FineCls,
        ["finelast1"] = FineTuneMode.FineLast1,
        ["finelast2"] = FineTuneMode.FineLast2,
        ["fineall"] = FineTuneMode.FineAll,
        ["peterrec-serial"] = FineTuneMode.PeterRecSerial,
        ["peterrec-parallel"] = FineTuneMode.PeterRecParallel,
    };

    public static FineTuneMode Parse(string name) =>
        ByName.TryGetValue(name.Trim().ToLowerInvariant(), out var m) ? m
        : name.Trim().ToLowerInvariant() == "peterrec" ? FineTuneMode.PeterRecSerial
        : throw new ArgumentException($"mode '{name}': expected one of {string.Join(", ", ByName.Keys)}");

    public static string Name(this FineTuneMode mode) => ByName.First(kv => kv.Value == mode).Key;

    public static PatchInsertion Insertion(this FineTuneMode mode) => mode switch
    {
        FineTuneMode.PeterRecSerial => PatchInsertion.Serial,
        FineTuneMode.PeterRecParallel => PatchInsertion.Parallel,
        _ => PatchInsertion.None,
    };

    public static bool UsesPretrainedWeights(this FineTuneMode mode) => mode != FineTuneMode.Scratch;

    /// <summary>
    /// Whether a parameter (named as in <see cref="PeterRecModel"/>'s state dict) trains in this mode.
    /// Everything else is frozen: requires_grad is off and the optimizer never sees it.
    /// </summary>
    public static bool IsTrainable(this FineTuneMode mode, string name, int blockCount)
    {
        if (name is "cls_embedding" or "target_embedding") return true;
        bool InBlock(int b) => name.StartsWith($"backbone.blocks.{b}.", StringComparison.Ordinal);
        return mode switch
        {
            FineTuneMode.Scratch or FineTuneMode.FineAll => true,
            FineTuneMode.FineCls => false,
            FineTuneMode.FineLast1 => InBlock(blockCount - 1),
            FineTuneMode.FineLast2 => InBlock(blockCount - 1) || InBlock(blockCount - 2),
            FineTuneMode.PeterRecSerial or FineTuneMode.PeterRecParallel =>
                name.Contains(".patch1.", StringComparison.Ordinal) || name.Contains(".patch2.", StringComparison.Ordinal)
                || name.Contains(".ln2.", StringComparison.Ordinal),
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
    }
}
