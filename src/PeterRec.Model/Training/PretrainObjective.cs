using PeterRec.Model.Data;
using PeterRec.Model.Evaluation;
using PeterRec.Model.Model;
using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>
/// The pretraining losses. Causal: inputs <c>x[:, :-1]</c>, labels <c>x[:, 1:]</c>, loss at every
/// non-padding position. Masked (GRec): positions masked with probability p (80% mask token, 10%
/// random item, 10% kept) and the loss taken on them alone.
/// </summary>
internal sealed class PretrainObjective(PretrainModel model, PretrainOptions options, int vocabSize, SparsePretrainTables? sparse = null)
{
    private const int FirstItemId = 2; // ids 0 and 1 are padding and OOV
    private readonly SampledSoftmax? sampler = options.Loss == "sampled"
        ? new SampledSoftmax(vocabSize, FirstItemId, (int)Math.Ceiling(options.SampleFraction * (vocabSize - FirstItemId)), options.Seed)
        : null;

    private BackboneConfig Config => model.Backbone.Config;

    public Tensor Loss(IReadOnlyList<int[]> windows, Random rng, Device device)
    {
        Tensor input, labels;
        if (!Config.Masked)
        {
            var x = Sequences.LeftPad(windows, Config.MaxSeq + 1, device);               // [batch, seq+1]
            input = x[.., ..^1];                                                            // [batch, seq]
            labels = x[.., 1..];                                                            // [batch, seq]
        }
        else (input, labels) = Mask(windows, rng, device);
        var hidden = sparse is null ? model.forward(input) : sparse.Hidden(input);           // [batch, seq, channels]
        var keep = labels.ne(0);
        var h = hidden.masked_select(keep.unsqueeze(-1)).view(-1, Config.Channels);       // [n, channels]
        var y = labels.masked_select(keep);                                                 // [n]
        if (y.numel() == 0) return (hidden.sum() * 0);
        if (sampler is null) return nn.functional.cross_entropy(model.Logits(h), y);
        return sparse is null ? sampler.Loss(h, y, model.OutputWeight, model.OutputBias) : sparse.SampledLoss(sampler, h, y);
    }

    private (Tensor Input, Tensor Labels) Mask(IReadOnlyList<int[]> windows, Random rng, Device device)
    {
        int len = Config.MaxSeq;
        using var x = Sequences.LeftPad(windows, len);
        var ids = x.data<long>().ToArray();
        var labels = new long[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] == 0 || rng.NextDouble() >= options.MaskProbability) continue;
            labels[i] = ids[i];
            var r = rng.NextDouble();
            if (r < 0.8) ids[i] = Config.MaskId;
            else if (r < 0.9) ids[i] = rng.Next(FirstItemId, vocabSize);
        }
        return (tensor(ids, [windows.Count, len], device: device), tensor(labels, [windows.Count, len], device: device));
    }

    /// <summary>MRR@5 / HR@5 of each validation sequence's last item, ranked over every item id.</summary>
    public RankingMetrics Validate(IReadOnlyList<int[]> sequences, Device device)
    {
        var metrics = new RankingMetrics();
        if (sequences.Count == 0) return metrics;
        bool wasTraining = model.training;
        model.eval();
        using var _ = no_grad();
        int batch = (int)Math.Clamp(16_000_000L / vocabSize, 1, 256);
        for (int start = 0; start < sequences.Count; start += batch)
        {
            using var scope = NewDisposeScope();
            var chunk = sequences.Skip(start).Take(batch).ToList();
            var inputs = chunk.Select(s => Config.Masked ? [.. s[..^1], Config.MaskId] : s[..^1]).ToList();
            var ids = Sequences.LeftPad(inputs, Config.MaxSeq, device);
            var last = model.forward(ids).select(1, -1);                                   // [chunk, channels]
            var logits = model.Logits(last).cpu().data<float>().ToArray();                 // [chunk, items]
            for (int i = 0; i < chunk.Count; i++)
            {
                var row = new ReadOnlySpan<float>(logits, i * vocabSize, vocabSize);
                int target = chunk[i][^1];
                float p = row[target];
                long rank = 0;
                for (int j = FirstItemId; j < vocabSize; j++)
                    if (j != target && j != Config.MaskId && (row[j] >= p || float.IsNaN(row[j]))) rank++;
                metrics.AddRank(float.IsNaN(p) ? vocabSize : rank);
            }
        }
        if (wasTraining) model.train();
        return metrics;
    }
}
