using System.Buffers.Binary;
using System.Text.Json;
using PeterRec.Model.Storage;
using TorchSharp;

namespace PeterRec.Trainer.Online;

/// <summary>
/// Rewrites a checkpoint of the retired <c>PRCK</c> format (magic, int32 format 1, three int32-length-prefixed
/// sections: header JSON, a PRTB bundle of the task tensors, TorchSharp's binary Adam state; then a CRC-32) as a
/// <see cref="LearnerCheckpoint"/>, for <c>peterrec convert</c>. The old file is kept beside it as <c>.prck</c>.
/// </summary>
public static class LegacyCheckpoint
{
    /// <returns>What was done, or null when <paramref name="path"/> is already a safetensors checkpoint.</returns>
    public static string? Convert(string path, string backboneDir)
    {
        var bytes = File.ReadAllBytes(path);
        if (TensorFile.LegacyMagic(bytes) is null) return null;
        if (!bytes.AsSpan(0, 4).SequenceEqual("PRCK"u8)) throw new InvalidDataException($"{path}: a {TensorFile.LegacyMagic(bytes)} file, not a trainer checkpoint");
        if (bytes.Length < 24 || System.IO.Hashing.Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)))
            throw new InvalidDataException($"{path}: checksum mismatch (truncated or corrupted, {bytes.Length} bytes)");
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)) is var format && format != 1)
            throw new InvalidDataException($"{path}: checkpoint format {format}, expected 1");
        var sections = new List<byte[]>();
        for (int i = 0, at = 8; i < 3; i++)
        {
            var length = at + 4 <= bytes.Length - 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)) : -1;
            if (length < 0 || at + 4 + length > bytes.Length - 4) throw new InvalidDataException($"{path}: section {i} is out of range");
            sections.Add(bytes.AsSpan(at + 4, length).ToArray());
            at += 4 + length;
        }
        var header = JsonSerializer.Deserialize<CheckpointHeader>(sections[0], ModelStore.Json) ?? throw new InvalidDataException($"{path}: empty header");
        LegacyArtifacts.CheckLegacyFingerprint(header.BackboneFingerprint, backboneDir, path);
        var tensors = LegacyArtifacts.ReadBundle(sections[1], $"{path} (task tensors)");
        var patchHidden = tensors.FirstOrDefault(t => t.Name.EndsWith(".patch1.down.weight", StringComparison.Ordinal)).Shape?[0] ?? 0;
        var settings = new LearnerSettings { Task = header.Task, Kind = header.Kind, MaxTargets = header.Capacity, PatchHidden = (int)patchHidden, Device = "cpu" };
        using var learner = OnlineLearner.Create(settings, backboneDir);
        var bundle = tensors.ToDictionary(t => t.Name, t => torch.tensor(t.Data, t.Shape));
        try { TensorBundle.LoadInto(learner.Model, bundle, path, learner.Model.TrainableParameters().Select(p => p.Name)); }
        finally { foreach (var t in bundle.Values) t.Dispose(); }
        using (var reader = new BinaryReader(new MemoryStream(sections[2])))
        {
            try { learner.Optimizer.load_state_dict(reader); }
            catch (Exception e) when (e is ArgumentException or EndOfStreamException)
            {
                throw new InvalidDataException($"{path}: optimizer state does not fit this model: {e.Message}", e);
            }
        }
        learner.Targets = new TargetTable(settings.MaxTargets, closed: false, header.Labels);
        learner.Step = header.Step;
        learner.Version = header.Version;
        learner.TrainedEvents = header.TrainedEvents;
        learner.Meter.Restore(header.Prequential, header.RecentRanks);
        var kept = Path.ChangeExtension(path, ".prck");
        File.Move(path, kept, overwrite: false);
        try
        {
            LearnerCheckpoint.Save(path, learner, header.Offsets);
            using var check = OnlineLearner.Create(settings, backboneDir);
            LearnerCheckpoint.Load(path, check);
        }
        catch
        {
            File.Move(kept, path, overwrite: true);
            throw;
        }
        return $"{path}: PRCK -> safetensors checkpoint (step {header.Step}, version {header.Version}); the old file is kept as {kept}";
    }
}
