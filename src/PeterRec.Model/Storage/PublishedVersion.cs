using PeterRec.Contracts;

namespace PeterRec.Model.Storage;

/// <summary>
/// The wire envelope of one published version of a task's weights: the value the Trainer writes to
/// <see cref="RedisKeys.Version"/> and Serving reads. A sealed safetensors file (<see cref="TensorFile"/>, kind
/// <c>version</c>) of the task's trainable tensors (task-file names, <see cref="ParameterNames"/>) with the
/// <see cref="VersionManifest"/> in its metadata (<c>peterrec.manifest</c>), covered by its checksum. A truncated or
/// corrupted value is refused whole: the reader never hands out part of a version.
/// </summary>
public static class PublishedVersion
{
    public const string Kind = "version";

    public static byte[] Write(VersionManifest manifest, IReadOnlyList<TensorEntry> tensors) =>
        TensorFile.Write(Kind, new Dictionary<string, string> { [ModelStore.ManifestKey] = manifest.ToJson() }, tensors);

    /// <summary>Splits and checks a value; throws <see cref="InvalidDataException"/> naming <paramref name="what"/>.</summary>
    public static (VersionManifest Manifest, IReadOnlyList<TensorEntry> Tensors) Read(ReadOnlySpan<byte> bytes, string what)
    {
        var file = TensorFile.Read(bytes, what, Kind);
        var json = file.Metadata.GetValueOrDefault(ModelStore.ManifestKey) ?? throw new InvalidDataException($"{what}: no {ModelStore.ManifestKey} metadata");
        return (VersionManifest.Parse(json, what), file.Tensors);
    }
}
