using System.ComponentModel.DataAnnotations;

namespace PeterRec.Model.Model;

/// <summary>
/// Shape of a NextItNet backbone (PeterRec §3.1, NextItNet §3). Saved beside the weights so that
/// a checkpoint is self-describing.
/// </summary>
public sealed record BackboneConfig
{
    /// <summary>(int) Source vocabulary size, specials included (0 = padding, 1 = unknown).</summary>
    [Range(3, int.MaxValue)] public int Items { get; init; }

    /// <summary>(int) Embedding size = channels of every convolution.</summary>
    [Range(2, 4096)] public int Channels { get; init; } = 64;

    /// <summary>(int) Convolution kernel width.</summary>
    [Range(2, 15)] public int Kernel { get; init; } = 3;

    /// <summary>(int[]) One dilation per residual block; the block's second conv uses twice this.</summary>
    public int[] Dilations { get; init; } = [1, 4, 1, 4, 1, 4, 1, 4];

    /// <summary>(int) Number of past items the backbone reads (the window length).</summary>
    [Range(2, 4096)] public int MaxSeq { get; init; } = 50;

    /// <summary>(bool) Non-causal GRec-style backbone pretrained with masked items.</summary>
    public bool Masked { get; init; }

    /// <summary>(int) Id of the mask token when <see cref="Masked"/>; -1 otherwise.</summary>
    public int MaskId { get; init; } = -1;

    /// <summary>Receptive field of the whole stack: 1 + sum over convs of (k-1)*d.</summary>
    public int ReceptiveField => 1 + Dilations.Sum(d => (Kernel - 1) * (d + 2 * d));

    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (Dilations.Length == 0 || Dilations.Any(d => d < 1))
            throw new ArgumentException("dilations: expected one or more positive integers, e.g. 1,4,1,4");
        if (Masked && (MaskId < 2 || MaskId >= Items))
            throw new ArgumentException($"mask id {MaskId} is outside the vocabulary of {Items} items");
    }
}
