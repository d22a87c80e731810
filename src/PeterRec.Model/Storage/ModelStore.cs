using TorchSharp;
using System.Text.Json;
using System.Text.Json.Serialization;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Storage;

/// <summary>What a task directory adds on top of a backbone (PeterRec's "model patch" artefact).</summary>
public sealed record TaskManifest
{
    public required string Task { get; init; }           // "rec" or "cls"
    public required string Mode { get; init; }           // FineTuneMode name
    public required int Targets { get; init; }
    public required int PatchHidden { get; init; }
    public string? BackboneFingerprint { get; init; }
    public long Version { get; init; }
}

/// <summary>
/// On-disk layout. Backbone dir: <c>config.json</c>, <c>backbone.bin</c>, <c>source_vocab.txt</c>.
/// Task dir: <c>task.json</c>, <c>task.bin</c> (only the tensors the mode trains), <c>target_vocab.txt</c>.
/// </summary>
public static class ModelStore
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void SaveBackbone(string dir, NextItNet backbone, Vocabulary sourceVocab)
    {
        Directory.CreateDirectory(dir);
        var blob = TensorBundle.Write(backbone.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        AtomicWrite(Path.Combine(dir, "backbone.bin"), blob);
        AtomicWrite(Path.Combine(dir, "config.json"), JsonSerializer.SerializeToUtf8Bytes(backbone.Config, Json));
        sourceVocab.Save(Path.Combine(dir, "source_vocab.txt"));
    }

    public static BackboneConfig LoadBackboneConfig(string dir)
    {
        var path = Path.Combine(dir, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no backbone here (expected config.json, backbone.bin, source_vocab.txt)", path);
        var config = JsonSerializer.Deserialize<BackboneConfig>(File.ReadAllBytes(path), Json)
                     ?? throw new InvalidDataException($"{path}: empty config");
        config.Validate();
        return config;
    }

    public static Vocabulary LoadSourceVocab(string dir) =>
        Vocabulary.Load(Path.Combine(dir, "source_vocab.txt"), Vocabulary.SourceSpecials);

    /// <summary>Short content hash of backbone.bin, so a task can tell which backbone it was trained on.</summary>
    public static string Fingerprint(string dir) =>
        Convert.ToHexString(System.IO.Hashing.XxHash64.Hash(File.ReadAllBytes(Path.Combine(dir, "backbone.bin")))).ToLowerInvariant();

    /// <summary>Copies pretrained weights into a backbone (patches, if any, keep their init).</summary>
    public static void LoadBackboneWeights(string dir, NextItNet backbone)
    {
        var path = Path.Combine(dir, "backbone.bin");
        var bundle = TensorBundle.Read(File.ReadAllBytes(path), path);
        try
        {
            var required = backbone.named_parameters().Select(p => p.name)
                .Where(n => !n.Contains(".patch", StringComparison.Ordinal));
            TensorBundle.LoadInto(backbone, bundle, path, required);
        }
        finally { foreach (var t in bundle.Values) t.Dispose(); }
    }

    /// <summary>Serialises only what the mode trains: the task's own state.</summary>
    public static byte[] ExportTaskState(PeterRecModel model) =>
        TensorBundle.Write(model.TrainableParameters().Select(p => (p.Name, (Tensor)p.Param)));

    public static void ImportTaskState(PeterRecModel model, ReadOnlySpan<byte> blob, string what)
    {
        var bundle = TensorBundle.Read(blob, what);
        try { TensorBundle.LoadInto(model, bundle, what, model.TrainableParameters().Select(p => p.Name)); }
        finally { foreach (var t in bundle.Values) t.Dispose(); }
    }

    public static void SaveTask(string dir, PeterRecModel model, TaskManifest manifest, Vocabulary targetVocab)
    {
        Directory.CreateDirectory(dir);
        AtomicWrite(Path.Combine(dir, "task.bin"), ExportTaskState(model));
        AtomicWrite(Path.Combine(dir, "task.json"), JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
        targetVocab.Save(Path.Combine(dir, "target_vocab.txt"));
    }

    public static TaskManifest LoadManifest(string taskDir)
    {
        var path = Path.Combine(taskDir, "task.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no task here (expected task.json, task.bin, target_vocab.txt)", path);
        return JsonSerializer.Deserialize<TaskManifest>(File.ReadAllBytes(path), Json)
               ?? throw new InvalidDataException($"{path}: empty manifest");
    }

    /// <summary>Rebuilds a task model: backbone weights, then the task's own tensors over them.</summary>
    public static (PeterRecModel Model, TaskManifest Manifest, Vocabulary Targets) LoadTask(string backboneDir, string taskDir, Device device)
    {
        var config = LoadBackboneConfig(backboneDir);
        var manifest = LoadManifest(taskDir);
        var targets = Vocabulary.Load(Path.Combine(taskDir, "target_vocab.txt"), []);
        if (targets.Count != manifest.Targets)
            throw new InvalidDataException($"{taskDir}: target_vocab.txt has {targets.Count} entries, task.json says {manifest.Targets}");
        var mode = FineTuneModes.Parse(manifest.Mode);
        var model = new PeterRecModel(config, mode, manifest.Targets, manifest.PatchHidden);
        if (mode.UsesPretrainedWeights()) LoadBackboneWeights(backboneDir, model.Backbone);
        var taskPath = Path.Combine(taskDir, "task.bin");
        ImportTaskState(model, File.ReadAllBytes(taskPath), taskPath);
        model.to(device);
        model.eval();
        return (model, manifest, targets);
    }

    /// <summary>Write-then-rename so a crash never leaves a half-written checkpoint behind.</summary>
    public static void AtomicWrite(string path, ReadOnlySpan<byte> bytes)
    {
        var tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
