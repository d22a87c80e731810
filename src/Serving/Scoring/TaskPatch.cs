using PeterRec.Model.Storage;
using PeterRec.Trainer.Publishing;

namespace PeterRec.Serving.Scoring;

/// <summary>
/// One validated patch version of a task, held as plain arrays: the per-task tensors (patches, second LayerNorms, CLS)
/// and the used rows of the head. Immutable, so a scoring batch that picked it up keeps a consistent version while a
/// newer one is swapped in, and the garbage collector frees it once nothing uses it.
/// </summary>
public sealed class TaskPatch
{
    private TaskPatch(PatchManifest manifest, IReadOnlyDictionary<string, (long[] Shape, float[] Data)> tensors, float[] head)
    {
        Manifest = manifest;
        Tensors = tensors;
        Head = head;
    }

    public PatchManifest Manifest { get; }
    public string Task => Manifest.Task;
    public long Version => Manifest.Version;
    public IReadOnlyList<string> Labels => Manifest.Labels;

    /// <summary>Every trainable tensor but the head, by parameter name.</summary>
    public IReadOnlyDictionary<string, (long[] Shape, float[] Data)> Tensors { get; }

    /// <summary>The used head rows, <c>[Labels.Count, channels]</c> row-major.</summary>
    public float[] Head { get; }

    public const string HeadName = "target_embedding";

    /// <summary>
    /// Decodes and checks a Redis patch value against the serving backbone: checksums, task, backbone fingerprint,
    /// exact tensor names and shapes, finite values. Throws <see cref="InvalidDataException"/> naming <paramref name="what"/>.
    /// </summary>
    public static TaskPatch Parse(ReadOnlySpan<byte> bytes, string what, string task, ServingBackbone backbone)
    {
        var (manifest, tensorBytes) = PatchEnvelope.Read(bytes, what);
        if (manifest.Task != task) throw new InvalidDataException($"{what}: patch is for task '{manifest.Task}', expected '{task}'");
        if (manifest.BackboneFingerprint != backbone.Fingerprint)
            throw new InvalidDataException($"{what}: patch was trained over backbone {manifest.BackboneFingerprint}, serving has {backbone.Fingerprint}");
        if (manifest.Channels != backbone.Channels || manifest.PatchHidden != backbone.PatchHidden || manifest.Mode != backbone.Mode)
            throw new InvalidDataException(
                $"{what}: patch shape (mode {manifest.Mode}, channels {manifest.Channels}, patch width {manifest.PatchHidden}) does not fit the serving backbone " +
                $"(mode {backbone.Mode}, channels {backbone.Channels}, patch width {backbone.PatchHidden})");
        var bundle = TensorBundle.Read(tensorBytes, what);
        try
        {
            var expected = new Dictionary<string, long[]>(backbone.TaskTensorShapes) { [HeadName] = [manifest.Capacity, backbone.Channels] };
            foreach (var name in expected.Keys.Where(n => !bundle.ContainsKey(n)))
                throw new InvalidDataException($"{what}: tensor '{name}' is missing");
            var tensors = new Dictionary<string, (long[] Shape, float[] Data)>();
            float[] head = [];
            foreach (var (name, value) in bundle)
            {
                if (!expected.TryGetValue(name, out var shape))
                    throw new InvalidDataException($"{what}: '{name}' is not a task tensor of this model");
                if (!value.shape.SequenceEqual(shape))
                    throw new InvalidDataException($"{what}: '{name}' has shape [{string.Join(",", value.shape)}], expected [{string.Join(",", shape)}]");
                var data = value.data<float>().ToArray();
                if (data.Any(x => !float.IsFinite(x))) throw new InvalidDataException($"{what}: '{name}' holds NaN or infinite values");
                if (name == HeadName) head = data[..(manifest.Labels.Count * backbone.Channels)];
                else tensors[name] = (shape, data);
            }
            return new TaskPatch(manifest, tensors, head);
        }
        finally
        {
            foreach (var t in bundle.Values) t.Dispose();
        }
    }
}
