using System.Text.Json;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace PeterRec.Model.Storage;

public static partial class ModelStore
{
    public const string TaskFile = "task.safetensors";
    public const string ManifestFile = "task.json";
    public const string TargetVocabFile = "target_vocab.txt";
    public const string TaskKind = "task";
    public const string ManifestKey = "peterrec.manifest";
    public const string TargetVocabKey = "peterrec.target_vocab";

    public static void SaveTask(string dir, PeterRecModel model, TaskManifest manifest, Vocabulary targetVocab) =>
        SaveTask(dir, TaskEntries(model), manifest, targetVocab);

    /// <summary>Writes a task directory from file entries (also what <c>convert</c> uses).</summary>
    public static void SaveTask(string dir, IReadOnlyList<TensorEntry> entries, TaskManifest manifest, Vocabulary targetVocab)
    {
        Directory.CreateDirectory(dir);
        var vocabPath = Path.Combine(dir, TargetVocabFile);
        targetVocab.Save(vocabPath);
        var metadata = new Dictionary<string, string>(VocabMetadata(vocabPath, TargetVocabKey))
        {
            [ManifestKey] = JsonSerializer.Serialize(manifest, CompactJson),
        };
        AtomicWrite(Path.Combine(dir, TaskFile), TensorFile.Write(TaskKind, metadata, entries));
        AtomicWrite(Path.Combine(dir, ManifestFile), JsonSerializer.SerializeToUtf8Bytes(manifest, Json));
    }

    public static SafeTensorsContent ReadTaskFile(string taskDir)
    {
        var path = Path.Combine(taskDir, TaskFile);
        if (!File.Exists(path))
        {
            if (File.Exists(Path.Combine(taskDir, "task.bin")))
                throw new InvalidDataException($"{taskDir}: holds a task in the pre-safetensors format (task.bin); {TensorFile.ConvertHint}");
            throw new FileNotFoundException($"{path}: no task here (expected {TaskFile}, {ManifestFile}, {TargetVocabFile})", path);
        }
        return TensorFile.Read(File.ReadAllBytes(path), path, TaskKind);
    }

    /// <summary><c>task.json</c>, refused unless it matches the manifest sealed in <c>task.safetensors</c>.</summary>
    public static TaskManifest LoadManifest(string taskDir) => LoadManifest(taskDir, ReadTaskFile(taskDir));

    private static TaskManifest LoadManifest(string taskDir, SafeTensorsContent file)
    {
        var path = Path.Combine(taskDir, ManifestFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no task here (expected {ManifestFile}, {TaskFile}, {TargetVocabFile})", path);
        var sealedJson = file.Metadata.GetValueOrDefault(ManifestKey)
            ?? throw new InvalidDataException($"{Path.Combine(taskDir, TaskFile)}: no {ManifestKey} metadata");
        var manifest = CheckCopy<TaskManifest>(sealedJson, path, Path.Combine(taskDir, TaskFile));
        return manifest;
    }

    /// <summary>
    /// Rebuilds a task model: backbone weights, then the task's own tensors over them. Refuses a backbone other than the
    /// one the task was trained over, and metadata or vocabularies that do not match what the files were written with.
    /// </summary>
    public static (PeterRecModel Model, TaskManifest Manifest, Vocabulary Targets) LoadTask(string backboneDir, string taskDir, Device device)
    {
        var config = LoadBackboneConfig(backboneDir);
        var file = ReadTaskFile(taskDir);
        var manifest = LoadManifest(taskDir, file);
        var fingerprint = Fingerprint(backboneDir);
        if (manifest.BackboneFingerprint != fingerprint)
            throw new InvalidDataException(
                $"{taskDir}: the task was trained over backbone {manifest.BackboneFingerprint}, but {backboneDir} is backbone {fingerprint}; " +
                "use the backbone it was trained on, or fine-tune again");
        var vocabPath = Path.Combine(taskDir, TargetVocabFile);
        CheckVocab(vocabPath, file.Metadata, TargetVocabKey, Path.Combine(taskDir, TaskFile));
        var targets = Vocabulary.Load(vocabPath, []);
        if (targets.Count != manifest.Targets)
            throw new InvalidDataException($"{taskDir}: {TargetVocabFile} has {targets.Count} entries, {ManifestFile} says {manifest.Targets}");
        var mode = FineTuneModes.Parse(manifest.Mode);
        var model = new PeterRecModel(config, mode, manifest.Targets, manifest.PatchHidden);
        try
        {
            if (mode.UsesPretrainedWeights()) LoadBackboneWeights(backboneDir, model.Backbone);
            LoadTaskEntries(model, file.Tensors, Path.Combine(taskDir, TaskFile));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.to(device);
        model.eval();
        return (model, manifest, targets);
    }
}
