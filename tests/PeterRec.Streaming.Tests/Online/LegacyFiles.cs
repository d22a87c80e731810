using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using PeterRec.Model.Storage;
using PeterRec.Trainer.Online;
using static TorchSharp.torch;

namespace PeterRec.Streaming.Tests.Online;

/// <summary>Writers of the retired binary formats (PRTB bundles, PRCK checkpoints), byte for byte as they were, to test `convert`.</summary>
internal static class LegacyFiles
{
    public static byte[] Bundle(IEnumerable<(string Name, Tensor Value)> tensors)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            var list = tensors.ToList();
            w.Write("PRTB"u8.ToArray());
            w.Write(1);
            w.Write(list.Count);
            foreach (var (name, value) in list)
            {
                w.Write(name);
                w.Write((byte)value.shape.Length);
                foreach (var d in value.shape) w.Write(d);
                using var cpu = value.detach().to(ScalarType.Float32).cpu().contiguous();
                w.Write(MemoryMarshal.AsBytes(cpu.data<float>().ToArray().AsSpan()));
            }
        }
        ms.Write(BitConverter.GetBytes(Crc32.HashToUInt32(ms.GetBuffer().AsSpan(0, (int)ms.Length))));
        return ms.ToArray();
    }

    public static string Fingerprint(byte[] backboneBin) => Convert.ToHexString(XxHash64.Hash(backboneBin)).ToLowerInvariant();

    /// <summary>A backbone directory as `pretrain` wrote it before safetensors: backbone.bin, config.json, source_vocab.txt.</summary>
    public static byte[] Backbone(string fromDir, string toDir)
    {
        Directory.CreateDirectory(toDir);
        var tensors = ModelStore.ReadBackboneTensors(fromDir);
        var bin = Bundle(tensors.Select(kv => (kv.Key, kv.Value)));
        File.WriteAllBytes(Path.Combine(toDir, "backbone.bin"), bin);
        foreach (var f in new[] { ModelStore.ConfigFile, ModelStore.SourceVocabFile }) File.Copy(Path.Combine(fromDir, f), Path.Combine(toDir, f));
        return bin;
    }

    /// <summary>A PRCK checkpoint of <paramref name="learner"/>, its Adam state in TorchSharp's own binary format.</summary>
    public static void Checkpoint(string path, OnlineLearner learner, IReadOnlyDictionary<string, long> offsets)
    {
        var header = new CheckpointHeader
        {
            Task = learner.Settings.Task, Kind = learner.Settings.Kind, Step = learner.Step, Version = learner.Version, TrainedEvents = learner.TrainedEvents,
            Capacity = learner.Settings.MaxTargets, Labels = [.. learner.Targets.Labels], BackboneFingerprint = learner.BackboneFingerprint,
            Offsets = offsets, Prequential = learner.Meter.Total, RecentRanks = learner.Meter.RecentRanks,
        };
        byte[] adam;
        using (var ms = new MemoryStream())
        {
            using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) learner.Optimizer.save_state_dict(w);
            adam = ms.ToArray();
        }
        var sections = new[] { JsonSerializer.SerializeToUtf8Bytes(header, ModelStore.Json), Bundle(learner.Model.TrainableParameters().Select(p => (p.Name, (Tensor)p.Param))), adam };
        var bytes = new byte[8 + sections.Sum(s => 4 + s.Length) + 4];
        "PRCK"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), 1);
        var at = 8;
        foreach (var s in sections)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), s.Length);
            s.CopyTo(bytes, at + 4);
            at += 4 + s.Length;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), Crc32.HashToUInt32(bytes.AsSpan(0, at)));
        File.WriteAllBytes(path, bytes);
    }
}
