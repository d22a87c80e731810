using System.Text;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Tests.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Storage;

/// <summary>Artifacts carry what they depend on and are checked on load: backbone fingerprint, sealed JSON, vocabularies.</summary>
public sealed class ArtifactIntegrityTests : IDisposable
{
    private readonly TempDir _dir = new();

    private string Backbone(string name = "backbone", int seed = 1) => TinyModels.SaveBackbone(_dir.File(name), TinyModels.Config(), seed);

    /// <summary>A peterrec-serial "rec" task over <paramref name="backbone"/>.</summary>
    private string Task(string backbone, string name = "task")
    {
        var dir = _dir.File(name);
        using var model = new PeterRecModel(TinyModels.Config(), FineTuneMode.PeterRecSerial, 9, 2);
        ModelStore.LoadBackboneWeights(backbone, model.Backbone);
        var manifest = new TaskManifest { Task = "rec", Mode = "peterrec-serial", Targets = 9, PatchHidden = 2, BackboneFingerprint = ModelStore.Fingerprint(backbone) };
        ModelStore.SaveTask(dir, model, manifest, Vocabulary.Build(Enumerable.Range(0, 9).Select(i => $"t{i}"), []));
        return dir;
    }

    private static void Replace(string path, string from, string to)
    {
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    private static InvalidDataException Refused(string backbone, string task) =>
        Assert.Throws<InvalidDataException>(() => ModelStore.LoadTask(backbone, task, CPU).Model.Dispose());

    [Fact]
    public void A_task_refuses_a_backbone_with_another_fingerprint_naming_both()
    {
        var trainedOn = Backbone("a", seed: 1);
        var other = Backbone("b", seed: 2);
        var task = Task(trainedOn);
        var e = Refused(other, task);
        Assert.Contains(ModelStore.Fingerprint(trainedOn), e.Message);
        Assert.Contains(ModelStore.Fingerprint(other), e.Message);
        ModelStore.LoadTask(trainedOn, task, CPU).Model.Dispose();
    }

    [Theory]
    [InlineData("\"mode\": \"peterrec-serial\"", "\"mode\": \"peterrec-parallel\"", "mode")]
    [InlineData("\"task\": \"rec\"", "\"task\": \"cls\"", "task")]
    [InlineData("\"patch_hidden\": 2", "\"patch_hidden\": 1", "patch_hidden")]
    public void An_edited_task_json_is_refused_naming_the_field(string from, string to, string field)
    {
        var backbone = Backbone();
        var task = Task(backbone);
        Replace(Path.Combine(task, ModelStore.ManifestFile), from, to);
        var e = Refused(backbone, task);
        Assert.Contains(ModelStore.ManifestFile, e.Message);
        Assert.Contains($"{field}:", e.Message);
    }

    [Theory]
    [InlineData("\"kernel\": 3", "\"kernel\": 5")]
    [InlineData("\"masked\": false", "\"masked\": true")]
    public void An_edited_config_json_is_refused(string from, string to)
    {
        var backbone = Backbone();
        Replace(Path.Combine(backbone, ModelStore.ConfigFile), from, to);
        var e = Assert.Throws<InvalidDataException>(() => ModelStore.LoadBackboneConfig(backbone));
        Assert.Contains(ModelStore.ConfigFile, e.Message);
        Assert.Contains("sealed", e.Message);
    }

    [Fact]
    public void A_manifest_edited_inside_the_tensor_file_fails_its_checksum()
    {
        var backbone = Backbone();
        var task = Task(backbone);
        var path = Path.Combine(task, ModelStore.TaskFile);
        var bytes = File.ReadAllBytes(path);
        var text = Encoding.Latin1.GetString(bytes);
        var at = text.IndexOf("\\u0022task\\u0022:\\u0022rec\\u0022", StringComparison.Ordinal) is var i and >= 0 ? i : text.IndexOf("\\\"task\\\":\\\"rec\\\"", StringComparison.Ordinal);
        Assert.True(at >= 0, "the sealed manifest was not found in the header");
        var rec = text.IndexOf("rec", at, StringComparison.Ordinal);
        Encoding.ASCII.GetBytes("cls").CopyTo(bytes, rec);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Refused(backbone, task).Message);
    }

    [Fact]
    public void A_source_vocabulary_shorter_than_the_embedding_table_is_refused()
    {
        var backbone = Backbone();
        var path = Path.Combine(backbone, ModelStore.SourceVocabFile);
        File.WriteAllLines(path, File.ReadAllLines(path)[..^1]);
        var e = Assert.Throws<InvalidDataException>(() => ModelStore.LoadSourceVocab(backbone));
        Assert.Contains($"{TinyModels.Config().Items - 1} entries", e.Message);
    }

    [Fact]
    public void A_backbone_written_with_a_vocabulary_shorter_than_its_embedding_table_is_refused()
    {
        var config = TinyModels.Config();
        using var backbone = new NextItNet(config);
        var dir = _dir.File("short");
        ModelStore.SaveBackbone(dir, backbone, TinyModels.Vocab(config.Items - 1));
        var e = Assert.Throws<InvalidDataException>(() => ModelStore.LoadSourceVocab(dir));
        Assert.Contains($"{config.Items} rows", e.Message);
    }

    [Fact]
    public void A_reordered_target_vocabulary_of_the_same_length_is_refused()
    {
        var backbone = Backbone();
        var task = Task(backbone);
        var path = Path.Combine(task, ModelStore.TargetVocabFile);
        var lines = File.ReadAllLines(path);
        (lines[1], lines[2]) = (lines[2], lines[1]);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        Assert.Contains("sha256", Refused(backbone, task).Message);
    }

    public void Dispose() => _dir.Dispose();
}
