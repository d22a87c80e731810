using TorchSharp;
using System.Diagnostics;
using PeterRec.Model.Data;
using PeterRec.Model.Data.Events;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>
/// Pretrains a NextItNet backbone by next-item prediction at every position (PeterRec §3.2), or by
/// masked-item prediction for the non-causal variant. Padding never enters the loss. Early stopping
/// on the validation users' MRR@5 of their last item, ranked over the whole vocabulary.
/// </summary>
public sealed class Pretrainer(PretrainOptions options, IProgress<TrainProgress>? progress = null)
{
    public PretrainReport Run(string dataPath, string outDir) =>
        Run(SequenceCsv.ReadPretrain(dataPath, new CsvReadOptions(options.SkipBadRows)), dataPath, outDir);

    /// <summary>Pretrains on a click log's per-user sequences; the report carries what reading the log did.</summary>
    public PretrainReport Run(ClickSequences events, string dataPath, string outDir)
    {
        var rows = new CsvResult<PretrainRow>(events.ToPretrainRows(), []) { SkippedCount = checked((int)events.Summary.Clicks.BadRows) };
        return Run(rows, dataPath, outDir) with { Events = events.Summary };
    }

    private PretrainReport Run(CsvResult<PretrainRow> rows, string dataPath, string outDir)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var device = Devices.Pick(options.Device);
        manual_seed(options.Seed);
        var vocab = FrequencyRankedVocab(rows.Rows, options.Masked);
        var sequences = rows.Rows.Select(r => r.Items.Select(vocab.IdOrUnk).ToArray()).Where(s => s.Length >= 2).ToList();
        if (sequences.Count < 2) throw new InvalidDataException($"{dataPath}: {sequences.Count} sequences of 2+ items; pretraining needs more");
        int maxSeq = options.MaxSeq > 0 ? options.MaxSeq : Math.Min(50, sequences.Max(s => s.Length) - 1);
        var config = new BackboneConfig
        {
            Items = vocab.Count, Channels = options.Channels, Kernel = options.Kernel, Dilations = options.Dilations,
            MaxSeq = Math.Max(2, maxSeq), Masked = options.Masked, MaskId = options.Masked ? vocab.IdOrUnk(MaskToken) : -1,
        };
        var (train, valid, _) = UserSplit.Split(sequences, options.ValidFraction, 0, options.Seed);
        // Causal: a window of MaxSeq+1 gives MaxSeq (input, next) pairs. Masked: MaxSeq positions.
        var windows = train.SelectMany(s => Sequences.Windows(s, config.MaxSeq + (config.Masked ? 0 : 1))).ToList();

        using var model = new PretrainModel(config);
        model.to(device);
        // Sampled softmax: the vocabulary-sized tables get row-sparse (lazy) Adam, the rest dense Adam.
        using var sparse = options.Loss == "sampled" ? new SparsePretrainTables(model, options.LearningRate) : null;
        var objective = new PretrainObjective(model, options, vocab.Count, sparse);
        using var optimizer = optim.Adam(model.parameters().Where(p => p.requires_grad), options.LearningRate);
        var rng = new Random(options.Seed);
        int steps = (windows.Count + options.Batch - 1) / options.Batch;
        var guard = new DivergenceGuard("pretraining", vocab.Count, options.LearningRate);
        var curve = new TrainingCurve("mrr_5");
        double bestMrr = double.NegativeInfinity, lastLoss = double.NaN;
        int sinceBest = 0;
        byte[]? best = null;
        long step = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            var order = Enumerable.Range(0, windows.Count).OrderBy(_ => rng.Next()).ToArray();
            double sum = 0;
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                var batch = order[(s * options.Batch)..Math.Min(order.Length, (s + 1) * options.Batch)].Select(i => windows[i]).ToList();
                var loss = objective.Loss(batch, rng, device);
                var l = loss.item<float>();
                guard.CheckLoss(l, epoch, s + 1);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                sparse?.Step();
                sum += l;
                step++;
                progress?.Report(new TrainProgress("pretrain", epoch, options.Epochs, s + 1, steps, l));
            }
            lastLoss = sum / Math.Max(1, steps);
            var m = objective.Validate(valid, device);
            curve.Add(epoch, step, lastLoss, valid.Count > 0 ? m.Mrr : null);
            progress?.Report(new TrainProgress("pretrain", epoch, options.Epochs, steps, steps, lastLoss, m.Mrr, "mrr_5"));
            if (valid.Count == 0 || m.Mrr > bestMrr)
            {
                bestMrr = m.Mrr; sinceBest = 0;
                // The whole pretraining model: the softmax layer scores the validation too, so restoring the backbone
                // alone would report a mix of two epochs instead of the best one.
                best = TensorBundle.Write(model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
            }
            else if (++sinceBest >= options.Patience) break;
        }
        var bundle = TensorBundle.Read(best!, "best pretraining state");
        TensorBundle.LoadInto(model, bundle, "best pretraining state");
        foreach (var t in bundle.Values) t.Dispose();
        var final = objective.Validate(valid, device);
        guard.CheckParameters(model.Backbone.named_parameters().Select(p => (p.name, (Tensor)p.parameter)));
        model.cpu();
        ModelStore.SaveBackbone(outDir, model.Backbone, vocab);
        curve.Write(Path.Combine(outDir, "curve"));
        var parameters = model.Backbone.parameters().Sum(p => p.numel());
        return new PretrainReport(vocab.Count, sequences.Count, windows.Count, curve.Rows.Count, lastLoss,
            Math.Round(final.Mrr, 5), Math.Round(final.Hr, 5), parameters, Math.Round(clock.Elapsed.TotalSeconds, 2), rows.SkippedCount);
    }

    public const string MaskToken = "<mask>";

    /// <summary>Ids by descending frequency after the specials, as the log-uniform sampler assumes.</summary>
    private static Vocabulary FrequencyRankedVocab(IReadOnlyList<PretrainRow> rows, bool masked)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var r in rows)
            foreach (var t in r.Items)
            {
                counts[t] = counts.GetValueOrDefault(t) + 1;
                first.TryAdd(t, first.Count);
            }
        var ranked = counts.Keys.OrderByDescending(t => counts[t]).ThenBy(t => first[t]).ToList();
        var vocab = Vocabulary.Build(ranked.Where(t => !Vocabulary.SourceSpecials.Contains(t)), Vocabulary.SourceSpecials);
        if (masked) vocab.Add(MaskToken);
        return vocab;
    }
}
