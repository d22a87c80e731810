using PeterRec.Contracts;
using PeterRec.Model.Storage;

namespace PeterRec.Serving.Scoring;

/// <summary>
/// One validated published version of a task, held as plain arrays: the per-task tensors (model patches, second
/// LayerNorms, CLS) and the used rows of the head. Immutable, so a scoring batch that picked it up keeps a consistent
/// version while a newer one is swapped in, and the garbage collector frees it once nothing uses it.
/// </summary>
public sealed class ServedVersion
{
    private ServedVersion(VersionManifest manifest, IReadOnlyDictionary<string, (long[] Shape, float[] Data)> tensors, float[] head)
    {
        Manifest = manifest;
        Tensors = tensors;
        Head = head;
    }

    public VersionManifest Manifest { get; }
    public string Task => Manifest.Task;
    public long Version => Manifest.Version;
    public IReadOnlyList<string> Labels => Manifest.Labels;

    /// <summary>Every trainable tensor but the head, by the task model's parameter name.</summary>
    public IReadOnlyDictionary<string, (long[] Shape, float[] Data)> Tensors { get; }

    /// <summary>The used head rows, <c>[Labels.Count, channels]</c> row-major.</summary>
    public float[] Head { get; }

    public const string HeadName = "target_embedding";

    /// <summary>
    /// Decodes and checks a Redis value (<see cref="PublishedVersion"/>) against the serving backbone: checksum, task,
    /// backbone fingerprint, exact tensor names and shapes, finite values. Throws <see cref="InvalidDataException"/>
    /// naming <paramref name="what"/>.
    /// </summary>
    public static ServedVersion Parse(ReadOnlySpan<byte> bytes, string what, string task, ServingBackbone backbone)
    {
        var (manifest, entries) = PublishedVersion.Read(bytes, what);
        if (manifest.Task != task) throw new InvalidDataException($"{what}: version is for task '{manifest.Task}', expected '{task}'");
        if (manifest.BackboneFingerprint != backbone.Fingerprint)
            throw new InvalidDataException($"{what}: version was trained over backbone {manifest.BackboneFingerprint}, serving has {backbone.Fingerprint}");
        if (manifest.Channels != backbone.Channels || manifest.PatchHidden != backbone.PatchHidden || manifest.Mode != backbone.Mode)
            throw new InvalidDataException(
                $"{what}: version shape (mode {manifest.Mode}, channels {manifest.Channels}, patch width {manifest.PatchHidden}) does not fit the serving backbone " +
                $"(mode {backbone.Mode}, channels {backbone.Channels}, patch width {backbone.PatchHidden})");
        var expected = new Dictionary<string, long[]>(backbone.TaskTensorShapes) { [HeadName] = [manifest.Capacity, backbone.Channels] };
        var tensors = new Dictionary<string, (long[] Shape, float[] Data)>();
        float[]? head = null;
        foreach (var entry in entries)
        {
            string name;
            try { name = ParameterNames.FromTaskFile(entry.Name); }
            catch (InvalidDataException e) { throw new InvalidDataException($"{what}: {e.Message}", e); }
            if (!expected.TryGetValue(name, out var shape))
                throw new InvalidDataException($"{what}: '{entry.Name}' is not a task tensor of this model");
            if (!entry.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{what}: '{entry.Name}' has shape [{string.Join(",", entry.Shape)}], expected [{string.Join(",", shape)}]");
            var data = entry.AsFloats();
            if (data.Any(x => !float.IsFinite(x))) throw new InvalidDataException($"{what}: '{entry.Name}' holds NaN or infinite values");
            if (name == HeadName) head = data[..(manifest.Labels.Count * backbone.Channels)];
            else if (!tensors.TryAdd(name, (shape, data))) throw new InvalidDataException($"{what}: '{entry.Name}' appears twice");
        }
        foreach (var name in expected.Keys.Where(n => n != HeadName && !tensors.ContainsKey(n)))
            throw new InvalidDataException($"{what}: tensor '{ParameterNames.TaskName(name)}' is missing");
        if (head is null) throw new InvalidDataException($"{what}: tensor '{ParameterNames.TaskName(HeadName)}' is missing");
        return new ServedVersion(manifest, tensors, head);
    }
}
