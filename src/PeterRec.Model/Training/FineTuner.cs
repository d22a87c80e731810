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
/// Offline fine-tuning of one task over a pretrained backbone in one of the paper's modes
/// (PeterRec §3.3–§4): only the mode's trainable tensors get gradients and optimizer state;
/// early stopping on the validation split; the best state is kept, tested and saved.
/// </summary>
public sealed class FineTuner(FineTuneOptions options, IProgress<TrainProgress>? progress = null)
{
    public FineTuneReport Run(string backboneDir, string dataPath, string taskDir) =>
        Run(backboneDir, SequenceCsv.ReadFineTune(dataPath, new CsvReadOptions(options.SkipBadRows)), dataPath, taskDir);

    /// <summary>Fine-tunes on labels and their click histories; the report carries what reading the logs did.</summary>
    public FineTuneReport Run(string backboneDir, LabelledHistories events, string labelsPath, string taskDir)
    {
        var bad = events.Summary.Clicks.BadRows + (events.Summary.Labels?.BadRows ?? 0);
        var rows = new CsvResult<FineTuneRow>(events.Rows, []) { SkippedCount = checked((int)bad) };
        return Run(backboneDir, rows, labelsPath, taskDir) with { Events = events.Summary };
    }

    private FineTuneReport Run(string backboneDir, CsvResult<FineTuneRow> rows, string dataPath, string taskDir)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var device = Devices.Pick(options.Device);
        manual_seed(options.Seed);
        var config = ModelStore.LoadBackboneConfig(backboneDir);
        var sourceVocab = ModelStore.LoadSourceVocab(backboneDir);
        var data = TaskData.Build(rows, sourceVocab);
        if (data.Users.Count < 3) throw new InvalidDataException($"{dataPath}: {data.Users.Count} usable rows; fine-tuning needs at least 3");
        // By user: an event log can give one user several examples (one per label time); they stay in one part.
        var (train, valid, test) = UserSplit.Split(data.Users, u => u.User, options.ValidFraction, options.TestFraction, options.Seed);
        if (test.Count == 0)
            throw new InvalidDataException($"{dataPath}: nothing to score: the test split ({options.TestFraction:P0} of {data.Users.Count} users) is empty; " +
                                           "give more data or a larger --test-fraction");

        int hidden = options.PatchHidden > 0 ? options.PatchHidden : PeterRecModel.DefaultPatchHidden(config.Channels);
        using var model = new PeterRecModel(config, options.Mode, data.TargetVocab.Count, hidden);
        if (options.Mode.UsesPretrainedWeights()) ModelStore.LoadBackboneWeights(backboneDir, model.Backbone);
        model.to(device);

        var curve = new TrainingCurve(options.IsClassification ? "accuracy" : "mrr_5");
        var trainPairs = TaskData.Pairs(train);
        var best = Train(model, trainPairs, valid, device, curve);
        ModelStore.ImportTaskState(model, best, "best validation state");
        new DivergenceGuard("fine-tuning", model.Targets, options.LearningRate)
            .CheckParameters(model.TrainableParameters().Select(p => (p.Name, (Tensor)p.Param)));

        var eval = new EvalSettings(options.IsClassification, options.EvalNegatives, Seed: options.Seed);
        var m = TaskEvaluator.Evaluate(model, test, eval, device);
        if (m.Count == 0)
            throw new InvalidDataException($"{dataPath}: nothing to score: the test split ({options.TestFraction:P0} of {data.Users.Count} users) holds " +
                                           $"{test.Count} users and no scorable example; nothing was written. Give more data or a larger --test-fraction");
        var popularity = TaskEvaluator.EvaluateFixed(TaskEvaluator.Popularity(train, data.TargetVocab.Count), test, eval);
        var manifest = new TaskManifest
        {
            Task = options.Task, Mode = options.Mode.Name(), Targets = data.TargetVocab.Count,
            PatchHidden = model.PatchHidden, BackboneFingerprint = ModelStore.Fingerprint(backboneDir),
        };
        ModelStore.SaveTask(taskDir, model, manifest, data.TargetVocab);
        curve.Write(Path.Combine(taskDir, "curve"));
        return FineTuneReport.From(model, options, m, data, trainPairs.Count, curve, clock.Elapsed.TotalSeconds, device)
            .WithBaseline(popularity, options.IsClassification);
    }

    /// <summary>
    /// Trains the mode's trainable tensors with Adam; returns the task state of the best validation
    /// epoch (the model itself is left at the last epoch).
    /// </summary>
    public byte[] Train(PeterRecModel model, List<(int[] Source, int Target)> pairs, IReadOnlyList<TaskUser> valid, Device device, TrainingCurve curve)
    {
        var trainable = model.TrainableParameters().Select(p => p.Param).ToList();
        using var optimizer = optim.Adam(trainable, options.LearningRate);
        var sampler = options.Loss == "sampled"
            ? new SampledSoftmax(model.Targets, 0, options.SampledNegatives, options.Seed) : null;
        var rng = new Random(options.Seed);
        var validSettings = new EvalSettings(options.IsClassification, options.EvalNegatives, Seed: options.Seed + 1);
        int steps = (pairs.Count + options.Batch - 1) / options.Batch;
        var guard = new DivergenceGuard("fine-tuning", model.Targets, options.LearningRate);
        byte[] best = ModelStore.ExportTaskState(model);
        double bestMetric = double.NegativeInfinity;
        int sinceBest = 0;
        long globalStep = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            var order = Enumerable.Range(0, pairs.Count).OrderBy(_ => rng.Next()).ToArray();
            double lossSum = 0;
            for (int s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                var idx = order[(s * options.Batch)..Math.Min(order.Length, (s + 1) * options.Batch)];
                var ids = Sequences.LeftPad(idx.Select(i => pairs[i].Source).ToList(), model.Config.MaxSeq, device);
                var labels = tensor(idx.Select(i => (long)pairs[i].Target).ToArray(), device: device);
                var rep = model.forward(ids);                                        // [batch, channels]
                var loss = sampler is null
                    ? nn.functional.cross_entropy(model.Scores(rep), labels)
                    : sampler.Loss(rep, labels, model.TargetWeight, null);
                var l = loss.item<float>();
                guard.CheckLoss(l, epoch, s + 1);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += l;
                globalStep++;
                progress?.Report(new TrainProgress("finetune", epoch, options.Epochs, s + 1, steps, l));
            }
            if (valid.Count == 0)
            {
                // Nothing to validate on: keep the latest state.
                curve.Add(epoch, globalStep, lossSum / Math.Max(1, steps), null);
                best = ModelStore.ExportTaskState(model);
                continue;
            }
            double metric = ValidationMetric(model, valid, validSettings, device);
            curve.Add(epoch, globalStep, lossSum / Math.Max(1, steps), metric);
            progress?.Report(new TrainProgress("finetune", epoch, options.Epochs, steps, steps, lossSum / Math.Max(1, steps), metric, options.IsClassification ? "accuracy" : "mrr_5"));
            if (metric > bestMetric) { bestMetric = metric; best = ModelStore.ExportTaskState(model); sinceBest = 0; }
            else if (++sinceBest >= options.Patience) break;
        }
        return best;
    }

    private static double ValidationMetric(PeterRecModel model, IReadOnlyList<TaskUser> valid, EvalSettings settings, Device device)
    {
        var m = TaskEvaluator.Evaluate(model, valid, settings, device);
        return settings.IsClassification ? m.Accuracy : m.Mrr;
    }
}
