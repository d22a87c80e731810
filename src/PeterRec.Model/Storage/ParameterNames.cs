using System.Text.RegularExpressions;

namespace PeterRec.Model.Storage;

/// <summary>
/// The one mapping between our modules' state-dict names and the names in tensor files, which are those of the
/// PyTorch reference module (<c>tests/peers/peterrec_torch.py</c>: <c>PeterRec</c> with <c>emb</c>, <c>blocks.i.conv1</c>,
/// <c>blocks.i.p1</c>, <c>cls</c>, <c>target_emb</c>), so <c>model.load_state_dict(tensors, strict=False)</c> works there.
/// Applied only at the file boundary; the modules keep their field names.
/// </summary>
/// <remarks>
/// <code>
/// ours (NextItNet / PeterRecModel)               file (PyTorch)
/// [backbone.]item_embedding.weight               emb.weight
/// [backbone.]blocks.i.conv{1,2}.conv.{weight,bias}  blocks.i.conv{1,2}.{weight,bias}
/// [backbone.]blocks.i.ln{1,2}.{weight,bias}      blocks.i.ln{1,2}.{weight,bias}
/// [backbone.]blocks.i.patch{1,2}.{down,up}.*     blocks.i.p{1,2}.{down,up}.*
/// cls_embedding                                  cls
/// target_embedding                               target_emb.weight
/// </code>
/// A backbone file is rooted at the backbone (no <c>backbone.</c> prefix on our side); task tensors are rooted at the
/// task model, whose backbone parts sit at the top level of the PyTorch module.
/// </remarks>
public static class ParameterNames
{
    private static readonly (Regex Ours, string File)[] BackboneToFile =
    [
        (new(@"^item_embedding\.weight$"), "emb.weight"),
        (new(@"^blocks\.(\d+)\.conv([12])\.conv\.(weight|bias)$"), "blocks.$1.conv$2.$3"),
        (new(@"^blocks\.(\d+)\.ln([12])\.(weight|bias)$"), "blocks.$1.ln$2.$3"),
        (new(@"^blocks\.(\d+)\.patch([12])\.(down|up)\.(weight|bias)$"), "blocks.$1.p$2.$3.$4"),
    ];

    private static readonly (Regex File, string Ours)[] BackboneFromFile =
    [
        (new(@"^emb\.weight$"), "item_embedding.weight"),
        (new(@"^blocks\.(\d+)\.conv([12])\.(weight|bias)$"), "blocks.$1.conv$2.conv.$3"),
        (new(@"^blocks\.(\d+)\.ln([12])\.(weight|bias)$"), "blocks.$1.ln$2.$3"),
        (new(@"^blocks\.(\d+)\.p([12])\.(down|up)\.(weight|bias)$"), "blocks.$1.patch$2.$3.$4"),
    ];

    private const string BackbonePrefix = "backbone.";

    /// <summary>A <see cref="Model.NextItNet"/> parameter name as a backbone file names it.</summary>
    public static string BackboneName(string ours) => Map(BackboneToFile, ours, "backbone parameter");

    public static string FromBackboneFile(string file) => Map(BackboneFromFile, file, "backbone tensor");

    /// <summary>A <see cref="Model.PeterRecModel"/> parameter name as task files (task, checkpoint, version) name it.</summary>
    public static string TaskName(string ours) => ours switch
    {
        "cls_embedding" => "cls",
        "target_embedding" => "target_emb.weight",
        _ when ours.StartsWith(BackbonePrefix, StringComparison.Ordinal) => BackboneName(ours[BackbonePrefix.Length..]),
        _ => throw new ArgumentException($"'{ours}' is not a task model parameter this file format names"),
    };

    /// <exception cref="InvalidDataException">The file names a tensor no PeterRec model has.</exception>
    public static string FromTaskFile(string file) => file switch
    {
        "cls" => "cls_embedding",
        "target_emb.weight" => "target_embedding",
        _ => BackbonePrefix + FromBackboneFile(file),
    };

    private static string Map((Regex From, string To)[] table, string name, string what)
    {
        foreach (var (from, to) in table)
            if (from.IsMatch(name)) return from.Replace(name, to);
        throw new InvalidDataException($"'{name}' is not a {what} name this file format knows");
    }
}
