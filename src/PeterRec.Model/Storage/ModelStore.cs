using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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
    /// <summary>The backbone the task was trained over (<see cref="ModelStore.Fingerprint"/>); loading refuses any other.</summary>
    public required string BackboneFingerprint { get; init; }
    public long Version { get; init; }
}

/// <summary>
/// The model artifacts on disk, every tensor file a sealed safetensors file (<see cref="TensorFile"/>, names per
/// <see cref="ParameterNames"/>):
/// <list type="bullet">
/// <item>Backbone dir: <c>backbone.safetensors</c> (kind backbone; metadata <c>peterrec.config</c> = the config JSON,
/// <c>peterrec.source_vocab.count</c>/<c>.sha256</c>), <c>config.json</c> (a readable copy, checked against the
/// sealed one), <c>source_vocab.txt</c> (checked against count and hash).</item>
/// <item>Task dir: <c>task.safetensors</c> (kind task: only the tensors the mode trains; metadata
/// <c>peterrec.manifest</c>, <c>peterrec.target_vocab.count</c>/<c>.sha256</c>), <c>task.json</c> (checked copy),
/// <c>target_vocab.txt</c>. A task refuses a backbone whose fingerprint is not the one it was trained over.</item>
/// </list>
/// In-memory snapshots of a task's trainable tensors (<see cref="ExportTaskState"/>) keep the module's own names.
/// </summary>
public static partial class ModelStore
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The same naming without indentation: the sealed copies in file metadata.</summary>
    public static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    /// <summary>Serialises only what the mode trains: the task's own state (module names, kind <c>tensors</c>).</summary>
    public static byte[] ExportTaskState(PeterRecModel model) =>
        TensorBundle.Write(model.TrainableParameters().Select(p => (p.Name, (Tensor)p.Param)));

    public static void ImportTaskState(PeterRecModel model, ReadOnlySpan<byte> blob, string what)
    {
        var bundle = TensorBundle.Read(blob, what);
        try { TensorBundle.LoadInto(model, bundle, what, model.TrainableParameters().Select(p => p.Name)); }
        finally { foreach (var t in bundle.Values) t.Dispose(); }
    }

    /// <summary>The task's trainable tensors as file entries (task-file names).</summary>
    public static List<TensorEntry> TaskEntries(PeterRecModel model) =>
        [.. model.TrainableParameters().Select(p => TensorBundle.ToEntry(ParameterNames.TaskName(p.Name), p.Param))];

    /// <summary>Loads task-file entries into the model's trainable tensors: all of them, nothing else, same shapes.</summary>
    public static void LoadTaskEntries(PeterRecModel model, IEnumerable<TensorEntry> entries, string what)
    {
        var bundle = TensorBundle.ToTensors(entries, ParameterNames.FromTaskFile, what);
        try { TensorBundle.LoadInto(model, bundle, what, model.TrainableParameters().Select(p => p.Name)); }
        finally { foreach (var t in bundle.Values) t.Dispose(); }
    }

    /// <summary>Write-then-rename so a crash never leaves a half-written file behind.</summary>
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

    internal static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>
    /// Refuses a readable JSON copy that says something else than the sealed original, naming what differs. Both sides
    /// are compared as <typeparamref name="T"/> reads and writes them, so field order, spacing and defaults do not matter.
    /// </summary>
    internal static T CheckCopy<T>(string sealedJson, string copyPath, string sealedPath) where T : class
    {
        var copy = Parse<T>(File.ReadAllText(copyPath), copyPath);
        CheckCopy(JsonSerializer.Serialize(Parse<T>(sealedJson, $"{sealedPath} (sealed copy)"), CompactJson), JsonSerializer.Serialize(copy, CompactJson), copyPath, sealedPath);
        return copy;
    }

    private static T Parse<T>(string json, string what) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new InvalidDataException($"{what}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{what}: not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }

    private static void CheckCopy(string sealedJson, string copyJson, string copyPath, string sealedPath)
    {
        var a = JsonNode.Parse(sealedJson)!.AsObject();
        var b = JsonNode.Parse(copyJson)!.AsObject();
        var differ = a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key))
            .Where(k => !JsonNode.DeepEquals(a[k], b[k]))
            .Select(k => $"{k}: {b[k]?.ToJsonString() ?? "missing"} in {Path.GetFileName(copyPath)}, {a[k]?.ToJsonString() ?? "missing"} sealed in {Path.GetFileName(sealedPath)}")
            .ToList();
        if (differ.Count > 0)
            throw new InvalidDataException(
                $"{copyPath} does not match the copy sealed (checksummed) in {sealedPath}: {string.Join("; ", differ)}. " +
                "The JSON was edited or belongs to another artifact; restore it or train again.");
    }

    /// <summary>Refuses a vocabulary file whose length or content differs from what the tensor file recorded.</summary>
    internal static void CheckVocab(string path, IReadOnlyDictionary<string, string> metadata, string prefix, string sealedPath)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: missing (its tensors in {sealedPath} need it)", path);
        var bytes = File.ReadAllBytes(path);
        var lines = bytes.Count(b => b == (byte)'\n');
        var count = metadata.GetValueOrDefault($"{prefix}.count");
        if (count != lines.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{path}: {lines} entries, but {sealedPath} was written with {count ?? "no"} ({prefix}.count); the vocabulary does not belong to these tensors");
        if (metadata.GetValueOrDefault($"{prefix}.sha256") != Sha256(bytes))
            throw new InvalidDataException($"{path}: content differs from the vocabulary {sealedPath} was written with ({prefix}.sha256); a token was changed or reordered");
    }

    internal static Dictionary<string, string> VocabMetadata(string path, string prefix)
    {
        var bytes = File.ReadAllBytes(path);
        return new Dictionary<string, string>
        {
            [$"{prefix}.count"] = bytes.Count(b => b == (byte)'\n').ToString(System.Globalization.CultureInfo.InvariantCulture),
            [$"{prefix}.sha256"] = Sha256(bytes),
        };
    }

    /// <summary>
    /// Refuses to write a backbone over an existing one unless <paramref name="force"/>: every task trained on it would
    /// silently go stale. Checked before any training starts.
    /// </summary>
    public static void CheckBackboneOutput(string dir, bool force)
    {
        if (force || !Directory.Exists(dir)) return;
        var existing = new[] { BackboneFile, ConfigFile, SourceVocabFile, "backbone.bin" }.Where(f => File.Exists(Path.Combine(dir, f))).ToList();
        if (existing.Count > 0)
            throw new ArgumentException($"{dir} already holds a backbone ({string.Join(", ", existing)}); tasks trained on it would no longer " +
                                        "match it. Choose another --out, or pass --force to replace it");
    }

    /// <summary>Refuses a task directory that is the backbone directory or inside it (their files would mix).</summary>
    public static void CheckTaskOutput(string taskDir, string backboneDir)
    {
        var task = Path.TrimEndingDirectorySeparator(Path.GetFullPath(taskDir));
        var backbone = Path.TrimEndingDirectorySeparator(Path.GetFullPath(backboneDir));
        if (task == backbone || task.StartsWith(backbone + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"--out {taskDir} is {(task == backbone ? "the backbone directory" : $"inside the backbone directory {backboneDir}")}; " +
                                        "a task directory holds only what the task adds and must be separate from its backbone");
    }
}
