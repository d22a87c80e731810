using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text.Json;
using PeterRec.Model.Storage;

namespace PeterRec.Trainer.Online;

/// <summary>The learner's bookkeeping in a checkpoint (the tensors and optimizer state travel beside it).</summary>
public sealed record CheckpointHeader
{
    public required string Task { get; init; }
    public required string Kind { get; init; }
    public required long Step { get; init; }
    public required long Version { get; init; }
    public required long TrainedEvents { get; init; }
    public required int Capacity { get; init; }
    public required IReadOnlyList<string> Labels { get; init; }
    public required string BackboneFingerprint { get; init; }
    /// <summary>Next offset to train per "topic/partition": every record before it is in this checkpoint.</summary>
    public required IReadOnlyDictionary<string, long> Offsets { get; init; }
    public required PrequentialTotals Prequential { get; init; }
    public required IReadOnlyList<long> RecentRanks { get; init; }
}

/// <summary>
/// One file per task, <c>&lt;dir&gt;/&lt;task&gt;.ckpt</c>, replaced atomically (write, fsync, rename): <c>"PRCK"</c>,
/// format (int32), then three length-prefixed sections — header JSON, task tensors (<see cref="TensorBundle"/>), Adam
/// state (TorchSharp's optimizer format) — and a CRC-32 of everything before it. A crash leaves either the old or the
/// new checkpoint, never a mix; a damaged file is refused with its path rather than silently restarting from scratch.
/// </summary>
public static class LearnerCheckpoint
{
    private static readonly byte[] Magic = "PRCK"u8.ToArray();
    private const int Format = 1;

    public static string PathFor(string dir, string task) =>
        Path.Combine(dir, $"{Uri.EscapeDataString(task)}.ckpt");

    public static void Save(string path, OnlineLearner learner, IReadOnlyDictionary<string, long> offsets)
    {
        var header = new CheckpointHeader
        {
            Task = learner.Settings.Task, Kind = learner.Settings.Kind, Step = learner.Step, Version = learner.Version, TrainedEvents = learner.TrainedEvents,
            Capacity = learner.Settings.MaxTargets, Labels = [.. learner.Targets.Labels],
            BackboneFingerprint = learner.BackboneFingerprint, Offsets = offsets,
            Prequential = learner.Meter.Total, RecentRanks = learner.Meter.RecentRanks,
        };
        byte[] optimizer;
        using (var ms = new MemoryStream())
        {
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) learner.Optimizer.save_state_dict(w);
            optimizer = ms.ToArray();
        }
        var sections = new[] { JsonSerializer.SerializeToUtf8Bytes(header, ModelStore.Json), ModelStore.ExportTaskState(learner.Model), optimizer };
        var bytes = new byte[8 + sections.Sum(s => 4 + s.Length) + 4];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), Format);
        var at = 8;
        foreach (var s in sections)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), s.Length);
            s.CopyTo(bytes, at + 4);
            at += 4 + s.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), Crc32.HashToUInt32(bytes.AsSpan(0, at)));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        ModelStore.AtomicWrite(path, bytes);
    }

    /// <summary>Restores a learner built with the same settings and backbone; returns the header (offsets etc.).</summary>
    public static CheckpointHeader Load(string path, OnlineLearner learner)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 24 || !bytes.AsSpan(0, 4).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not a PeterRec trainer checkpoint (bad magic or too short: {bytes.Length} bytes)");
        if (Crc32.HashToUInt32(bytes.AsSpan(0, bytes.Length - 4)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4)))
            throw new InvalidDataException($"{path}: checksum mismatch (truncated or corrupted, {bytes.Length} bytes)");
        var format = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (format != Format) throw new InvalidDataException($"{path}: checkpoint format {format}, expected {Format}");
        var sections = new List<byte[]>();
        var at = 8;
        for (int i = 0; i < 3; i++)
        {
            var length = at + 4 <= bytes.Length - 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at)) : -1;
            if (length < 0 || at + 4 + length > bytes.Length - 4) throw new InvalidDataException($"{path}: section {i} is out of range");
            sections.Add(bytes.AsSpan(at + 4, length).ToArray());
            at += 4 + length;
        }
        var header = JsonSerializer.Deserialize<CheckpointHeader>(sections[0], ModelStore.Json)
                     ?? throw new InvalidDataException($"{path}: empty header");
        var s = learner.Settings;
        if (header.Task != s.Task || header.Kind != s.Kind || header.Capacity != s.MaxTargets)
            throw new InvalidDataException(
                $"{path}: checkpoint is for task '{header.Task}' ({header.Kind}, {header.Capacity} targets), the trainer is configured for '{s.Task}' ({s.Kind}, {s.MaxTargets} targets)");
        if (header.BackboneFingerprint != learner.BackboneFingerprint)
            throw new InvalidDataException($"{path}: checkpoint was trained over backbone {header.BackboneFingerprint}, the loaded backbone is {learner.BackboneFingerprint}");
        if (s.Classes.Count > 0 && !header.Labels.SequenceEqual(s.Classes))
            throw new InvalidDataException($"{path}: checkpoint classes [{string.Join(",", header.Labels)}] differ from Trainer:Classes [{string.Join(",", s.Classes)}]");
        ModelStore.ImportTaskState(learner.Model, sections[1], path);
        using (var r = new BinaryReader(new MemoryStream(sections[2])))
        {
            try { learner.Optimizer.load_state_dict(r); }
            catch (Exception e) when (e is ArgumentException or EndOfStreamException)
            {
                throw new InvalidDataException($"{path}: optimizer state does not fit this model: {e.Message}", e);
            }
        }
        learner.Targets = new TargetTable(s.MaxTargets, closed: s.Classes.Count > 0, header.Labels);
        learner.Step = header.Step;
        learner.Version = header.Version;
        learner.TrainedEvents = header.TrainedEvents;
        learner.Meter.Restore(header.Prequential, header.RecentRanks);
        return header;
    }
}
