using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Model;

public class TensorBundleTests
{
    private static byte[] Blob() => TensorBundle.Write([("a", arange(6, ScalarType.Float32).view(2, 3)), ("b", ones(4))]);

    [Fact]
    public void Round_trip_is_exact()
    {
        var read = TensorBundle.Read(Blob(), "blob");
        Assert.True(TinyModels.BitEqual(read["a"], arange(6, ScalarType.Float32).view(2, 3)));
        Assert.Equal([4L], read["b"].shape);
    }

    [Fact]
    public void Any_flipped_byte_is_refused()
    {
        var blob = Blob();
        for (int i = 0; i < blob.Length; i++)
        {
            var bad = (byte[])blob.Clone();
            bad[i] ^= 0x40;
            Assert.Throws<InvalidDataException>(() => TensorBundle.Read(bad, "blob"));
        }
    }

    [Fact]
    public void Truncated_blob_is_refused_with_a_clear_message()
    {
        var blob = Blob();
        var e = Assert.Throws<InvalidDataException>(() => TensorBundle.Read(blob.AsSpan(0, blob.Length - 7), "patch v3"));
        Assert.Contains("patch v3", e.Message);
    }

    [Fact]
    public void Wrongly_shaped_state_is_refused_and_the_model_is_unchanged()
    {
        using var model = new PeterRecModel(TinyModels.Config(), FineTuneMode.PeterRecSerial, 9, 2);
        using var other = new PeterRecModel(TinyModels.Config(), FineTuneMode.PeterRecSerial, 11, 2); // other head size
        var before = TinyModels.Snapshot(model);
        var e = Assert.Throws<InvalidDataException>(() => ModelStore.ImportTaskState(model, ModelStore.ExportTaskState(other), "patch"));
        Assert.Contains("target_embedding", e.Message);
        foreach (var (name, p) in model.named_parameters()) Assert.True(TinyModels.BitEqual(p, before[name]));
    }
}
