using System.Diagnostics;
using System.Text.Json;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace PeterRec.Model.Tests.Interop;

/// <summary>
/// The tensor files with PyTorch (Debian's python3-torch, as `.ci/run` installs it) and the reference module
/// tests/peers/peterrec_torch.py: what we write loads there under its own parameter names and scores the same, and what
/// it trains and writes (tests/peers/interop.py, a few lines over the documented header) loads here and scores the same.
/// </summary>
public sealed class PyTorchInteropTests(ITestOutputHelper output) : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private const double Tolerance = 1e-5;
    private readonly TempDir _dir = new();

    private static readonly Lazy<string?> Missing = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} does not exist";
        var (code, _, err) = Run(["-c", "import torch, numpy"]);
        return code == 0 ? null : $"{Python} cannot import torch and numpy ({err.Trim().Split('\n').LastOrDefault()}); apt-get install python3-torch";
    });

    private static string Script => Path.Combine(Root(), "tests", "peers", "interop.py");

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PeterRec.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no PeterRec.sln above {AppContext.BaseDirectory}");
    }

    private static (int Code, string Out, string Err) Run(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["OPENBLAS_NUM_THREADS"] = "1";
        psi.Environment.Remove("LD_PRELOAD"); // jemalloc is ours, not the peer's
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException("python ran over 2 minutes"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private JsonElement Peer(params string[] args)
    {
        var outFile = _dir.File($"out-{Guid.NewGuid():N}.json");
        var (code, _, err) = Run([Script, .. args, "--out", outFile]);
        Assert.True(code == 0, $"interop.py {string.Join(' ', args)} failed:\n{err}");
        return JsonDocument.Parse(File.ReadAllText(outFile)).RootElement;
    }

    private bool Skipped()
    {
        if (Missing.Value is not { } why) return false;
        output.WriteLine($"SKIPPED: {why}; the PyTorch interop round trip did not run.");
        return true;
    }

    /// <summary>A batch without padding (the peer's blocks do not mask it; ours do): ids in [2, items).</summary>
    private string Ids(int batch, int seq, int items, out Tensor ids)
    {
        var rng = new Random(17);
        var rows = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, seq).Select(_ => (long)rng.Next(2, items)).ToArray()).ToArray();
        ids = tensor(rows.SelectMany(r => r).ToArray(), [batch, seq]);
        var path = _dir.File("ids.json");
        File.WriteAllText(path, JsonSerializer.Serialize(rows));
        return path;
    }

    private static double MaxDiff(Tensor ours, JsonElement theirs)
    {
        var a = ours.detach().cpu().contiguous().data<float>().ToArray();
        var b = theirs.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
    }

    [Fact]
    public void A_backbone_and_task_trained_here_load_into_the_pytorch_module_by_its_own_names_and_score_the_same()
    {
        if (Skipped()) return;
        var rng = new Random(3);
        var pretrain = _dir.Write("pretrain.csv", string.Join("\n", Enumerable.Range(0, 120).Select(_ =>
            string.Join(",", Enumerable.Range(0, rng.Next(5, 12)).Select(_ => $"i{rng.Next(40)}")))) + "\n");
        var finetune = _dir.Write("rec.csv", string.Join("\n", Enumerable.Range(0, 60).Select(_ =>
            string.Join(",", Enumerable.Range(0, rng.Next(3, 9)).Select(_ => $"i{rng.Next(40)}")) + $",,t{rng.Next(10)}")) + "\n");
        var backbone = _dir.File("backbone");
        var task = _dir.File("task");
        new Pretrainer(new PretrainOptions { Channels = 16, Dilations = [1, 2], MaxSeq = 8, Epochs = 2, Batch = 32, Device = "cpu" }).Run(pretrain, backbone);
        new FineTuner(new FineTuneOptions { Mode = FineTuneMode.PeterRecSerial, Epochs = 2, Batch = 16, Device = "cpu" }).Run(backbone, finetune, task);

        var config = ModelStore.LoadBackboneConfig(backbone);
        var idsFile = Ids(5, config.MaxSeq, config.Items, out var ids);
        var peer = Peer("ours", "--backbone", backbone, "--task", task, "--ids", idsFile);
        // Every tensor we wrote has its place in the PyTorch module; only what we do not write is left over.
        Assert.Empty(peer.GetProperty("backbone_unexpected").EnumerateArray());
        Assert.Empty(peer.GetProperty("task_unexpected").EnumerateArray());
        Assert.Equal(["cls", "pre_head.bias", "pre_head.weight", "target_emb.weight"], peer.GetProperty("backbone_missing").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["pre_head.bias", "pre_head.weight"], peer.GetProperty("task_missing").EnumerateArray().Select(e => e.GetString()));

        using var plain = new NextItNet(config);
        ModelStore.LoadBackboneWeights(backbone, plain);
        plain.eval();
        var (model, _, _) = ModelStore.LoadTask(backbone, task, CPU);
        using var _ = model;
        using var ng = no_grad();
        var hidden = MaxDiff(plain.forward(ids), peer.GetProperty("hidden"));
        var scores = MaxDiff(model.Scores(model.forward(ids)), peer.GetProperty("scores"));
        output.WriteLine($"max |ours - PyTorch|: hidden states {hidden:E2}, scores {scores:E2}");
        Assert.True(hidden <= Tolerance, $"hidden states differ by {hidden:E2}");
        Assert.True(scores <= Tolerance, $"scores differ by {scores:E2}");
    }

    [Fact]
    public void A_state_dict_trained_by_the_pytorch_module_loads_here_and_scores_the_same()
    {
        if (Skipped()) return;
        const int items = 40, targets = 12, seq = 8;
        var idsFile = Ids(6, seq, items, out var ids);
        var backbone = _dir.File("peer-backbone");
        var task = _dir.File("peer-task");
        var peer = Peer("peer", "--backbone", backbone, "--task", task, "--ids", idsFile, "--items", $"{items}", "--targets", $"{targets}",
            "--emb", "16", "--dilations", "1,2", "--seq", $"{seq}", "--patch-hidden", "2", "--steps", "3");

        var (model, manifest, vocab) = ModelStore.LoadTask(backbone, task, CPU);
        using var _ = model;
        Assert.Equal(("peterrec-serial", targets), (manifest.Mode, vocab.Count));
        using var ng = no_grad();
        var scores = MaxDiff(model.Scores(model.forward(ids)), peer.GetProperty("scores"));
        output.WriteLine($"max |ours - PyTorch| on the peer-trained task: {scores:E2}");
        Assert.True(scores <= Tolerance, $"scores differ by {scores:E2}");
    }

    public void Dispose() => _dir.Dispose();
}
