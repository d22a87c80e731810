using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Storage;

/// <summary>
/// Reads the retired binary formats once more, to rewrite them as sealed safetensors files (<c>peterrec convert</c>):
/// <c>PRTB</c> tensor bundles (magic, int32 version 1, int32 count, entries of a length-prefixed UTF-8 name, a rank
/// byte, int64 dimensions and float32 data, then a CRC-32 of everything before it), inside backbone and task
/// directories. The old files are left in place; nothing is written unless the converted artifact loads.
/// </summary>
public static class LegacyArtifacts
{
    public const string BackboneBin = "backbone.bin";
    public const string TaskBin = "task.bin";

    /// <summary>A PRTB bundle as (name, shape, data), every check of the old reader applied.</summary>
    public static List<(string Name, long[] Shape, float[] Data)> ReadBundle(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length < 16 || !bytes[..4].SequenceEqual("PRTB"u8))
            throw new InvalidDataException($"{what}: not a PRTB tensor bundle");
        if (Crc32.HashToUInt32(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]))
            throw new InvalidDataException($"{what}: checksum mismatch (truncated or corrupted, {bytes.Length} bytes)");
        using var r = new BinaryReader(new MemoryStream(bytes[4..^4].ToArray()), Encoding.UTF8);
        if (r.ReadInt32() is var version && version != 1) throw new InvalidDataException($"{what}: bundle version {version}, expected 1");
        var count = r.ReadInt32();
        var result = new List<(string, long[], float[])>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                var shape = new long[r.ReadByte()];
                for (int d = 0; d < shape.Length; d++) shape[d] = r.ReadInt64();
                var data = new float[shape.Aggregate(1L, (a, x) => checked(a * x))];
                var raw = r.ReadBytes(data.Length * 4);
                if (raw.Length != data.Length * 4) throw new EndOfStreamException();
                Buffer.BlockCopy(raw, 0, data, 0, raw.Length);
                result.Add((name, shape, data));
            }
        }
        catch (Exception e) when (e is EndOfStreamException or OverflowException)
        {
            throw new InvalidDataException($"{what}: ends in the middle of an entry", e);
        }
        return result;
    }

    /// <summary>The fingerprint tasks of the old format recorded: XxHash64 of <c>backbone.bin</c>, lowercase hex.</summary>
    public static string Fingerprint(ReadOnlySpan<byte> backboneBin) => Convert.ToHexString(XxHash64.Hash(backboneBin)).ToLowerInvariant();

    /// <summary>Rewrites an old backbone directory; returns null when it already has a <c>backbone.safetensors</c>.</summary>
    public static string? ConvertBackbone(string dir)
    {
        if (File.Exists(Path.Combine(dir, ModelStore.BackboneFile))) return null;
        var binPath = Path.Combine(dir, BackboneBin);
        if (!File.Exists(binPath)) throw new FileNotFoundException($"{dir}: neither {ModelStore.BackboneFile} nor {BackboneBin}; not a backbone directory", binPath);
        var bin = File.ReadAllBytes(binPath);
        var configPath = Path.Combine(dir, ModelStore.ConfigFile);
        var config = JsonSerializer.Deserialize<BackboneConfig>(File.ReadAllBytes(configPath), ModelStore.Json)
                     ?? throw new InvalidDataException($"{configPath}: empty config");
        config.Validate();
        var vocab = Vocabulary.Load(Path.Combine(dir, ModelStore.SourceVocabFile), Vocabulary.SourceSpecials);
        if (vocab.Count != config.Items)
            throw new InvalidDataException($"{dir}: {ModelStore.SourceVocabFile} has {vocab.Count} entries, {ModelStore.ConfigFile} says {config.Items} items");
        var entries = ReadBundle(bin, binPath).Select(t => TensorEntry.Floats(ParameterNames.BackboneName(t.Name), t.Shape, t.Data)).ToList();
        var legacy = Fingerprint(bin);
        Commit(dir, [ModelStore.BackboneFile, ModelStore.ConfigFile, ModelStore.SourceVocabFile],
            () => ModelStore.SaveBackbone(dir, config, entries, vocab, new Dictionary<string, string> { [ModelStore.LegacyFingerprintKey] = legacy }),
            () =>
            {
                using var backbone = new NextItNet(ModelStore.LoadBackboneConfig(dir));
                ModelStore.LoadBackboneWeights(dir, backbone);
                _ = ModelStore.LoadSourceVocab(dir);
            });
        return $"{dir}: {BackboneBin} -> {ModelStore.BackboneFile} (fingerprint {legacy} -> {ModelStore.Fingerprint(dir)}); {BackboneBin} can be deleted";
    }

    /// <summary>Rewrites an old task directory trained over <paramref name="backboneDir"/> (already converted); null when already done.</summary>
    public static string? ConvertTask(string taskDir, string backboneDir)
    {
        if (File.Exists(Path.Combine(taskDir, ModelStore.TaskFile))) return null;
        var binPath = Path.Combine(taskDir, TaskBin);
        if (!File.Exists(binPath)) throw new FileNotFoundException($"{taskDir}: neither {ModelStore.TaskFile} nor {TaskBin}; not a task directory", binPath);
        var manifestPath = Path.Combine(taskDir, ModelStore.ManifestFile);
        var old = JsonNode.Parse(File.ReadAllBytes(manifestPath))?.AsObject() ?? throw new InvalidDataException($"{manifestPath}: empty manifest");
        var recorded = (string?)old["backbone_fingerprint"]
            ?? throw new InvalidDataException($"{manifestPath}: records no backbone fingerprint, so the backbone it was trained over cannot be told");
        CheckLegacyFingerprint(recorded, backboneDir, taskDir);
        var manifest = new TaskManifest
        {
            Task = (string?)old["task"] ?? throw new InvalidDataException($"{manifestPath}: no task"),
            Mode = (string?)old["mode"] ?? throw new InvalidDataException($"{manifestPath}: no mode"),
            Targets = (int?)old["targets"] ?? throw new InvalidDataException($"{manifestPath}: no targets"),
            PatchHidden = (int?)old["patch_hidden"] ?? 0,
            Version = (long?)old["version"] ?? 0,
            BackboneFingerprint = ModelStore.Fingerprint(backboneDir),
        };
        var targets = Vocabulary.Load(Path.Combine(taskDir, ModelStore.TargetVocabFile), []);
        var entries = ReadBundle(File.ReadAllBytes(binPath), binPath).Select(t => TensorEntry.Floats(ParameterNames.TaskName(t.Name), t.Shape, t.Data)).ToList();
        Commit(taskDir, [ModelStore.TaskFile, ModelStore.ManifestFile, ModelStore.TargetVocabFile],
            () => ModelStore.SaveTask(taskDir, entries, manifest, targets),
            () => ModelStore.LoadTask(backboneDir, taskDir, CPU).Model.Dispose());
        return $"{taskDir}: {TaskBin} -> {ModelStore.TaskFile} (over backbone {manifest.BackboneFingerprint}); {TaskBin} can be deleted";
    }

    /// <summary>Refuses an artifact that names neither the backbone's old fingerprint nor its current one.</summary>
    public static void CheckLegacyFingerprint(string recorded, string backboneDir, string what)
    {
        var file = ModelStore.ReadBackboneFile(backboneDir);
        var legacy = file.Metadata.GetValueOrDefault(ModelStore.LegacyFingerprintKey);
        var current = ModelStore.Fingerprint(backboneDir);
        if (recorded != legacy && recorded != current)
            throw new InvalidDataException($"{what}: was trained over backbone {recorded}, but {backboneDir} is backbone {current}" +
                                           (legacy is null ? "" : $" (formerly {legacy})") + "; convert it with the backbone it was trained on");
    }

    /// <summary>Writes the new files, then proves they load; on failure removes what it wrote and keeps the old ones.</summary>
    private static void Commit(string dir, string[] written, Action write, Action verify)
    {
        var kept = written.Where(f => File.Exists(Path.Combine(dir, f))).ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(dir, f)));
        try
        {
            write();
            verify();
        }
        catch
        {
            foreach (var f in written)
            {
                var path = Path.Combine(dir, f);
                if (kept.TryGetValue(f, out var bytes)) File.WriteAllBytes(path, bytes);
                else File.Delete(path);
            }
            throw;
        }
    }
}
