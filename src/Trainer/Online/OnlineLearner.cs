using PeterRec.Contracts;
using PeterRec.Model.Data;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
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
public sealed partial class OnlineLearner : IDisposable
{
    private readonly PeterRecModel _model;
    private Adam _optimizer;
    private readonly Device _device;
    private readonly Random _rng;
    private readonly Dictionary<string, long> _skipped = new(StringComparer.Ordinal);
    private byte[]? _published;  // the published version's task state (ExportTaskState), the gate's baseline
    private long _seen;

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
        Baseline = new PopularityBaseline(settings.PrequentialWindow);
        Holdout = new HoldoutSlice(settings.HoldoutSize);
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

    /// <summary>The popularity recommender scored on the same events, candidates and window as <see cref="Meter"/>.</summary>
    public PopularityBaseline Baseline { get; }
    public PeterRecModel Model => _model;
    internal Adam Optimizer => _optimizer;

    /// <summary>Optimizer steps taken since the task started.</summary>
    public long Step { get; internal set; }

    /// <summary>Events trained on since the task started (refused labels excluded).</summary>
    public long TrainedEvents { get; internal set; }

    /// <summary>The newest version produced (0 = none yet). Versions only grow.</summary>
    public long Version { get; internal set; }

    /// <summary>Maps a click window (oldest first) through the backbone's source vocabulary; unknown items get the OOV id.</summary>
    public int[] EncodeSource(IEnumerable<string> items) => [.. items.Select(SourceVocab.IdOrUnk)];

    /// <summary>Scores then trains on <paramref name="examples"/>, in order, <see cref="LearnerSettings.MicroBatch"/> at a time.</summary>
    /// <remarks>
    /// Guards: a micro-batch whose loss or gradient is not finite, or whose gradient norm exceeds
    /// <see cref="LearnerSettings.MaxGradNorm"/>, is not stepped (the weights and Adam's state stay as they were) and is
    /// counted in <see cref="LearnResult.Skipped"/>. Every <see cref="LearnerSettings.HoldoutEvery"/>-th event is scored
    /// but held back from training, for the publish gate (<see cref="CheckCandidate"/>).
    /// </remarks>
    public LearnResult Learn(IReadOnlyList<LabeledExample> examples)
    {
        int trained = 0, refused = 0, steps = 0, heldOut = 0;
        double lossSum = 0;
        var skipped = new Dictionary<string, int>(StringComparer.Ordinal);
        var ranks = new List<long>(examples.Count);
        for (int start = 0; start < examples.Count; start += Settings.MicroBatch)
        {
            var batch = new List<(int[] Source, int Row, bool Train)>(Settings.MicroBatch);
            foreach (var e in examples.Skip(start).Take(Settings.MicroBatch))
            {
                var row = Targets.GetOrAdd(e.Label);
                if (row < 0) { refused++; continue; }
                var hold = Settings.HoldoutEvery > 0 && ++_seen % Settings.HoldoutEvery == 0;
                if (hold) { Holdout.Add(e.Source, row); heldOut++; }
                batch.Add((e.Source, row, !hold));
            }
            if (batch.Count == 0) continue;
            var (loss, skip) = TrainStep(batch, ranks);
            if (skip is not null) { skipped[skip] = skipped.GetValueOrDefault(skip) + 1; continue; }
            if (loss is not { } l) continue;
            var n = batch.Count(b => b.Train);
            lossSum += l;
            trained += n;
            TrainedEvents += n;
            steps++;
        }
        foreach (var (reason, count) in skipped) _skipped[reason] = _skipped.GetValueOrDefault(reason) + count;
        return new LearnResult(trained, refused, steps, lossSum, ranks, heldOut, skipped);
    }

    /// <summary>Micro-batches skipped since this process started, by reason.</summary>
    public IReadOnlyDictionary<string, long> SkippedSteps => _skipped;

    /// <summary>Held-back events for the publish gate.</summary>
    public HoldoutSlice Holdout { get; }

    /// <returns>The loss (null when nothing in the batch is trained on), or the reason the step was skipped.</returns>
    private (double? Loss, string? Skipped) TrainStep(List<(int[] Source, int Row, bool Train)> batch, List<long> ranks)
    {
        using var scope = NewDisposeScope();
        _model.train();
        var used = Targets.Count;
        var ids = Sequences.LeftPad(batch.Select(b => b.Source).ToList(), _model.Config.MaxSeq, _device); // [batch, seq]
        var rep = _model.forward(ids);                                                                      // [batch, channels]
        var logits = _model.Scores(rep).narrow(1, 0, used);                                                 // [batch, used]
        var before = logits.detach().cpu().data<float>().ToArray();
        for (int i = 0; i < batch.Count; i++)
        {
            var row = new ReadOnlySpan<float>(before, i * used, used);
            var label = Targets.Labels[batch[i].Row];
            // A non-finite score ranks nothing: NaN compares false and would look like a perfect hit.
            if (AllFinite(row) && Candidates(used, batch[i].Row, _rng) is { } candidates)
            {
                var r = RankingMetrics.RankOf(row[batch[i].Row], Pick(row, candidates));
                ranks.Add(r);
                Meter.Add(r);
                // The baseline ranks the same event among the same candidates, before the label is counted.
                Baseline.Score(Targets.Labels, batch[i].Row, candidates);
            }
            Baseline.Observe(label);
        }
        var train = Enumerable.Range(0, batch.Count).Where(i => batch[i].Train).Select(i => (long)i).ToArray();
        if (train.Length == 0) return (null, null);
        var picked = train.Length == batch.Count ? logits : logits.index_select(0, tensor(train, device: _device));
        var labels = tensor(train.Select(i => (long)batch[(int)i].Row).ToArray(), device: _device);        // [trained]
        var loss = nn.functional.cross_entropy(picked, labels);
        var lossValue = loss.item<float>();
        if (!float.IsFinite(lossValue)) return (null, "nonfinite_loss");
        _optimizer.zero_grad();
        loss.backward();
        var norm = GradientNorm();
        string? skip = !double.IsFinite(norm) ? "nonfinite_gradient"
            : Settings.MaxGradNorm > 0 && norm > Settings.MaxGradNorm ? "gradient_norm" : null;
        if (skip is not null)
        {
            _optimizer.zero_grad();
            return (null, skip);
        }
        _optimizer.step();
        Step++;
        return (lossValue, null);
    }

    /// <summary>L2 norm of all trainable gradients together.</summary>
    private double GradientNorm()
    {
        using var scope = NewDisposeScope();
        double sum = 0;
        foreach (var (_, p) in _model.TrainableParameters())
        {
            var g = p.grad;
            if (g is null) continue;
            sum += g.pow(2).sum().item<float>();
        }
        return Math.Sqrt(sum);
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (!float.IsFinite(v)) return false;
        return true;
    }

    /// <summary>Pre-update rank of the true row: among all used rows (cls) or sampled negatives (rec); null when alone.</summary>
    private long? RankOf(ReadOnlySpan<float> row, int positive, Random rng) =>
        Candidates(row.Length, positive, rng) is { } c ? RankingMetrics.RankOf(row[positive], Pick(row, c)) : null;

    /// <summary>The rows the positive is ranked against: every other used row (cls, or few rows) or sampled negatives (rec); null when alone.</summary>
    private int[]? Candidates(int used, int positive, Random rng)
    {
        int others = used - 1;
        if (others < 1) return null;
        if (Settings.IsClassification || others <= Settings.EvalNegatives)
            return [.. Enumerable.Range(0, used).Where(j => j != positive)];
        var picked = new int[Settings.EvalNegatives];
        var seen = new HashSet<int>();
        for (int k = 0; k < picked.Length;)
        {
            int j = rng.Next(used);
            if (j == positive || !seen.Add(j)) continue;
            picked[k++] = j;
        }
        return picked;
    }

    private static float[] Pick(ReadOnlySpan<float> row, int[] rows)
    {
        var values = new float[rows.Length];
        for (int k = 0; k < rows.Length; k++) values[k] = row[rows[k]];
        return values;
    }

    /// <summary>Starts a new version and returns its Redis value (manifest + trainable tensors).</summary>
    public byte[] NextVersion() { Version++; return ExportVersion(); }

    /// <summary>Continues numbering after <paramref name="published"/> when another trainer of the task got further
    /// (a takeover from an older checkpoint), so a new version is never below what serving has.</summary>
    public void ContinueAfter(long published) => Version = Math.Max(Version, published);

    /// <summary>The current state as the published value of <see cref="Version"/> (see <see cref="PublishedVersion"/>).</summary>
    /// <param name="fencingToken">The publishing trainer's lease token, carried in the manifest.</param>
    /// <exception cref="InvalidOperationException">A trainable tensor is not finite: such weights are never published.</exception>
    public byte[] ExportVersion(long fencingToken = 0)
    {
        if (!TaskStateIsFinite())
            throw new InvalidOperationException($"task {Settings.Task}: the task state has non-finite values; refusing to export it");
        var manifest = new VersionManifest
        {
            Task = Settings.Task, Kind = Settings.Kind, Version = Version, Step = Step, Mode = _model.Mode.Name(),
            PatchHidden = _model.PatchHidden, Channels = _model.Config.Channels, Capacity = Settings.MaxTargets,
            Labels = [.. Targets.Labels], BackboneFingerprint = BackboneFingerprint,
            CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), FencingToken = fencingToken,
            Prequential = Quality(), RollbackOf = null,
            Gate = LastGate is { } g ? new VersionGate(g.Reason, Finite(g.Candidate), Finite(g.Baseline), g.Events) : null,
        };
        return PublishedVersion.Write(manifest, ModelStore.TaskEntries(_model));
    }

    /// <summary>The verdict that let the newest version through (null after a restart until the next gate).</summary>
    public PublishVerdict? LastGate { get; internal set; }

    private VersionQuality? Quality()
    {
        var (w, b) = (Meter.Window, Baseline.Meter.Window);
        if (w.Count == 0) return null;
        return Settings.IsClassification
            ? new VersionQuality("accuracy", w.Accuracy, w.Count, b.Accuracy)
            : new VersionQuality("hr_5", w.Hr, w.Count, b.Hr);
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
