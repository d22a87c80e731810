using PeterRec.Model.Data;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Training;
using PeterRec.Trainer.Publishing;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeterRec.Trainer.Online;

/// <summary>
/// Online fine-tuning of one task (PeterRec serial patches over a frozen pretrained backbone): events arrive in
/// micro-batches; each is first scored by the current model (prequential evaluation), then trained on with one Adam
/// step over the trainable tensors only (patches, second LayerNorms, CLS, head).
/// </summary>
/// <remarks>
/// The loss is a softmax over the target rows in use (a new label's row joins the softmax when it first appears), so
/// unused rows neither take gradients nor compete. The model has no dropout, so the training forward pass is also the
/// pre-update score used for the prequential metric: one forward per step.
/// Not thread-safe: one consume thread drives it.
/// </remarks>
public sealed class OnlineLearner : IDisposable
{
    private readonly PeterRecModel _model;
    private readonly Adam _optimizer;
    private readonly Device _device;
    private readonly Random _rng;

    private OnlineLearner(LearnerSettings settings, string backboneDir)
    {
        settings.Validate();
        Settings = settings;
        var config = ModelStore.LoadBackboneConfig(backboneDir);
        if (config.Masked) throw new ArgumentException($"{backboneDir}: online fine-tuning needs a causal backbone, this one is masked (GRec)");
        SourceVocab = ModelStore.LoadSourceVocab(backboneDir);
        BackboneFingerprint = ModelStore.Fingerprint(backboneDir);
        _device = Devices.Pick(settings.Device);
        _rng = new Random(settings.Seed);
        Targets = new TargetTable(settings.MaxTargets, closed: settings.Classes.Count > 0, settings.Classes);
        Meter = new PrequentialMeter(settings.PrequentialWindow);
        var hidden = settings.PatchHidden > 0 ? settings.PatchHidden : PeterRecModel.DefaultPatchHidden(config.Channels);
        manual_seed(settings.Seed);
        _model = new PeterRecModel(config, FineTuneMode.PeterRecSerial, settings.MaxTargets, hidden);
        ModelStore.LoadBackboneWeights(backboneDir, _model.Backbone);
        _model.to(_device);
        // Freezing happened in the constructor; the optimizer only ever sees the trainable tensors.
        _optimizer = optim.Adam(_model.TrainableParameters().Select(p => p.Param), settings.LearningRate);
    }

    /// <summary>A fresh learner: pretrained backbone (frozen), patches near identity, a new head.</summary>
    public static OnlineLearner Create(LearnerSettings settings, string backboneDir) => new(settings, backboneDir);

    public LearnerSettings Settings { get; }
    public Vocabulary SourceVocab { get; }
    public string BackboneFingerprint { get; }
    public TargetTable Targets { get; internal set; }
    public PrequentialMeter Meter { get; }
    public PeterRecModel Model => _model;
    internal Adam Optimizer => _optimizer;

    /// <summary>Optimizer steps taken since the task started.</summary>
    public long Step { get; internal set; }

    /// <summary>Events trained on since the task started (refused labels excluded).</summary>
    public long TrainedEvents { get; internal set; }

    /// <summary>The newest patch version produced (0 = none yet). Versions only grow.</summary>
    public long Version { get; internal set; }

    /// <summary>Maps a click window (oldest first) through the backbone's source vocabulary; unknown items get the OOV id.</summary>
    public int[] EncodeSource(IEnumerable<string> items) => [.. items.Select(SourceVocab.IdOrUnk)];

    /// <summary>Scores then trains on <paramref name="examples"/>, in order, <see cref="LearnerSettings.MicroBatch"/> at a time.</summary>
    public LearnResult Learn(IReadOnlyList<LabeledExample> examples)
    {
        int trained = 0, refused = 0, steps = 0;
        double lossSum = 0;
        var ranks = new List<long>(examples.Count);
        for (int start = 0; start < examples.Count; start += Settings.MicroBatch)
        {
            var batch = new List<(int[] Source, int Row)>(Settings.MicroBatch);
            foreach (var e in examples.Skip(start).Take(Settings.MicroBatch))
            {
                var row = Targets.GetOrAdd(e.Label);
                if (row < 0) refused++;
                else batch.Add((e.Source, row));
            }
            if (batch.Count == 0) continue;
            lossSum += TrainStep(batch, ranks);
            trained += batch.Count;
            TrainedEvents += batch.Count;
            steps++;
        }
        return new LearnResult(trained, refused, steps, lossSum, ranks);
    }

    private double TrainStep(List<(int[] Source, int Row)> batch, List<long> ranks)
    {
        using var scope = NewDisposeScope();
        _model.train();
        var used = Targets.Count;
        var ids = Sequences.LeftPad(batch.Select(b => b.Source).ToList(), _model.Config.MaxSeq, _device); // [batch, seq]
        var labels = tensor(batch.Select(b => (long)b.Row).ToArray(), device: _device);                    // [batch]
        var rep = _model.forward(ids);                                                                      // [batch, channels]
        var logits = _model.Scores(rep).narrow(1, 0, used);                                                 // [batch, used]
        var before = logits.detach().cpu().data<float>().ToArray();
        for (int i = 0; i < batch.Count; i++)
        {
            var rank = RankOf(new ReadOnlySpan<float>(before, i * used, used), batch[i].Row);
            if (rank is { } r) { ranks.Add(r); Meter.Add(r); }
        }
        var loss = nn.functional.cross_entropy(logits, labels);
        _optimizer.zero_grad();
        loss.backward();
        _optimizer.step();
        Step++;
        return loss.item<float>();
    }

    /// <summary>Pre-update rank of the true row: among all used rows (cls) or sampled negatives (rec); null when alone.</summary>
    private long? RankOf(ReadOnlySpan<float> row, int positive)
    {
        int others = row.Length - 1;
        if (others < 1) return null;
        if (Settings.IsClassification || others <= Settings.EvalNegatives)
        {
            var all = new float[others];
            for (int j = 0, k = 0; j < row.Length; j++) if (j != positive) all[k++] = row[j];
            return RankingMetrics.RankOf(row[positive], all);
        }
        var picked = new float[Settings.EvalNegatives];
        var seen = new HashSet<int>();
        for (int k = 0; k < picked.Length;)
        {
            int j = _rng.Next(row.Length);
            if (j == positive || !seen.Add(j)) continue;
            picked[k++] = row[j];
        }
        return RankingMetrics.RankOf(row[positive], picked);
    }

    /// <summary>Starts a new patch version and returns its Redis value (manifest + trainable tensors).</summary>
    public byte[] NextPatch() { Version++; return ExportPatch(); }

    /// <summary>The current state as the patch of <see cref="Version"/>.</summary>
    public byte[] ExportPatch()
    {
        var manifest = new PatchManifest
        {
            Task = Settings.Task, Kind = Settings.Kind, Version = Version, Step = Step, Mode = _model.Mode.Name(),
            PatchHidden = _model.PatchHidden, Channels = _model.Config.Channels, Capacity = Settings.MaxTargets,
            Labels = [.. Targets.Labels], BackboneFingerprint = BackboneFingerprint,
            CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
        };
        return PatchEnvelope.Write(manifest, ModelStore.ExportTaskState(_model));
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
