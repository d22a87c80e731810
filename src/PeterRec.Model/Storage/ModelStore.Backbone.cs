using System.Text.Json;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Storage;

public static partial class ModelStore
{
    public const string BackboneFile = "backbone.safetensors";
    public const string ConfigFile = "config.json";
    public const string SourceVocabFile = "source_vocab.txt";
    public const string BackboneKind = "backbone";
    public const string ConfigKey = "peterrec.config";
    public const string SourceVocabKey = "peterrec.source_vocab";
    /// <summary>Set by <c>peterrec convert</c>: the fingerprint the backbone had in the retired format, which tasks trained on it still name.</summary>
    public const string LegacyFingerprintKey = "peterrec.legacy_fingerprint";

    public static void SaveBackbone(string dir, NextItNet backbone, Vocabulary sourceVocab) =>
        SaveBackbone(dir, backbone.Config, [.. backbone.named_parameters().Select(p => TensorBundle.ToEntry(ParameterNames.BackboneName(p.name), p.parameter))], sourceVocab);

    /// <summary>Writes a backbone directory from file entries (also what <c>convert</c> uses).</summary>
    public static void SaveBackbone(string dir, BackboneConfig config, IReadOnlyList<TensorEntry> entries, Vocabulary sourceVocab,
        IReadOnlyDictionary<string, string>? extra = null)
    {
        Directory.CreateDirectory(dir);
        var vocabPath = Path.Combine(dir, SourceVocabFile);
        sourceVocab.Save(vocabPath);
        var metadata = new Dictionary<string, string>(VocabMetadata(vocabPath, SourceVocabKey))
        {
            [ConfigKey] = JsonSerializer.Serialize(config, CompactJson),
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) metadata[k] = v;
        AtomicWrite(Path.Combine(dir, BackboneFile), TensorFile.Write(BackboneKind, metadata, entries));
        AtomicWrite(Path.Combine(dir, ConfigFile), JsonSerializer.SerializeToUtf8Bytes(config, Json));
    }

    /// <summary>The sealed backbone file of <paramref name="dir"/>, verified.</summary>
    public static SafeTensorsContent ReadBackboneFile(string dir)
    {
        var path = Path.Combine(dir, BackboneFile);
        if (!File.Exists(path))
        {
            if (File.Exists(Path.Combine(dir, "backbone.bin")))
                throw new InvalidDataException($"{dir}: holds a backbone in the pre-safetensors format (backbone.bin); {TensorFile.ConvertHint}");
            throw new FileNotFoundException($"{path}: no backbone here (expected {BackboneFile}, {ConfigFile}, {SourceVocabFile})", path);
        }
        return TensorFile.Read(File.ReadAllBytes(path), path, BackboneKind);
    }

    /// <summary>The backbone's shape: <c>config.json</c>, refused unless it matches the copy sealed in the tensor file.</summary>
    public static BackboneConfig LoadBackboneConfig(string dir)
    {
        var path = Path.Combine(dir, ConfigFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no backbone here (expected {ConfigFile}, {BackboneFile}, {SourceVocabFile})", path);
        var file = ReadBackboneFile(dir);
        var sealedJson = file.Metadata.GetValueOrDefault(ConfigKey)
            ?? throw new InvalidDataException($"{Path.Combine(dir, BackboneFile)}: no {ConfigKey} metadata");
        var config = CheckCopy<BackboneConfig>(sealedJson, path, Path.Combine(dir, BackboneFile));
        config.Validate();
        return config;
    }

    /// <summary><c>source_vocab.txt</c>, refused unless its length and hash are the ones the backbone was saved with.</summary>
    public static Vocabulary LoadSourceVocab(string dir)
    {
        var path = Path.Combine(dir, SourceVocabFile);
        var file = ReadBackboneFile(dir);
        CheckVocab(path, file.Metadata, SourceVocabKey, Path.Combine(dir, BackboneFile));
        var vocab = Vocabulary.Load(path, Vocabulary.SourceSpecials);
        // The seal proves the file is the one written; this proves it was written for this embedding table.
        var items = file.Metadata.TryGetValue(ConfigKey, out var json) ? JsonSerializer.Deserialize<BackboneConfig>(json, Json)?.Items : null;
        if (items is { } rows && rows != vocab.Count)
            throw new InvalidDataException($"{path}: {vocab.Count} entries, but the item embedding table in {Path.Combine(dir, BackboneFile)} has {rows} rows; " +
                                           "the vocabulary does not belong to this backbone");
        return vocab;
    }

    /// <summary>Content hash of the backbone file (first 16 hex digits of its SHA-256), so a task can tell which backbone it was trained on.</summary>
    public static string Fingerprint(string dir)
    {
        var path = Path.Combine(dir, BackboneFile);
        if (!File.Exists(path)) ReadBackboneFile(dir); // the clear error
        return Sha256(File.ReadAllBytes(path))[..16];
    }

    /// <summary>The backbone's tensors under <see cref="NextItNet"/>'s parameter names (CPU).</summary>
    public static Dictionary<string, Tensor> ReadBackboneTensors(string dir) =>
        TensorBundle.ToTensors(ReadBackboneFile(dir).Tensors, ParameterNames.FromBackboneFile, Path.Combine(dir, BackboneFile));

    /// <summary>Copies pretrained weights into a backbone (patches, if any, keep their init).</summary>
    public static void LoadBackboneWeights(string dir, NextItNet backbone)
    {
        var bundle = ReadBackboneTensors(dir);
        try
        {
            var required = backbone.named_parameters().Select(p => p.name).Where(n => !n.Contains(".patch", StringComparison.Ordinal));
            TensorBundle.LoadInto(backbone, bundle, Path.Combine(dir, BackboneFile), required);
        }
        finally { foreach (var t in bundle.Values) t.Dispose(); }
    }
}
