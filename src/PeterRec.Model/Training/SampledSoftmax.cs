using static TorchSharp.torch;

namespace PeterRec.Model.Training;

/// <summary>
/// Sampled softmax (Jean et al. 2015), as the reference code's TF sampled_softmax_loss: negatives
/// from a log-uniform (Zipfian) sampler over frequency-ranked ids, logits corrected by log Q, and
/// accidental hits (a negative equal to the label) removed. Ids below <see cref="firstId"/> (the
/// specials) are never sampled.
/// </summary>
public sealed class SampledSoftmax
{
    private readonly int firstId, range, samples;
    private readonly Random rng;

    public SampledSoftmax(int vocabSize, int firstId, int samples, int seed)
    {
        this.firstId = firstId;
        range = vocabSize - firstId;
        if (range < 2) throw new ArgumentException("sampled softmax needs at least two candidate ids");
        this.samples = Math.Clamp(samples, 1, range);
        rng = new Random(seed);
    }

    /// <summary>P(k) = log((k+2)/(k+1)) / log(range+1), k = rank among candidates.</summary>
    private double Q(long id) { var k = id - firstId; return Math.Log((k + 2.0) / (k + 1.0)) / Math.Log(range + 1.0); }

    /// <summary>One negative set for a batch: <c>samples</c> draws with replacement.</summary>
    public long[] Draw()
    {
        var ids = new long[samples];
        var logRange = Math.Log(range + 1.0);
        for (int i = 0; i < samples; i++)
        {
            var k = (long)Math.Floor(Math.Exp(rng.NextDouble() * logRange)) - 1;
            ids[i] = firstId + Math.Clamp(k, 0, range - 1);
        }
        return ids;
    }

    /// <summary>Mean loss over rows.</summary>
    public Tensor Loss(Tensor hidden, Tensor labels, Tensor weight, Tensor? bias) // [n, C], [n], [V, C], [V]
    {
        using var scope = NewDisposeScope();
        var sampledIds = Draw();
        var sampled = tensor(sampledIds, device: hidden.device);                         // [S]
        return Loss(hidden, labels, sampledIds, weight.index_select(0, labels), bias?.index_select(0, labels),
            weight.index_select(0, sampled), bias?.index_select(0, sampled)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Mean loss over rows from the output rows already gathered (the labels' and the negatives'), so a
    /// caller can take them from a row-sparse table (<see cref="LazyAdam.Gather"/>).
    /// </summary>
    public Tensor Loss(Tensor hidden, Tensor labels, long[] sampledIds, Tensor wTrue, Tensor? bTrue, Tensor wS, Tensor? bS)
    {   // [n, C], [n], [S], [n, C], [n], [S, C], [S]
        using var scope = NewDisposeScope();
        var device = hidden.device;
        // Expected count of each id among `samples` draws with replacement: samples * Q(id).
        var logQs = sampledIds.Select(id => (float)Math.Log(samples * Q(id))).ToArray();
        var sampled = tensor(sampledIds, device: device);                              // [S]
        var labelsCpu = labels.cpu().data<long>().ToArray();
        var logQt = tensor(labelsCpu.Select(id => (float)Math.Log(samples * Q(id))).ToArray(), device: device); // [n]

        var trueLogit = (hidden * wTrue).sum(1) - logQt;                                 // [n]
        var sLogits = hidden.matmul(wS.t()) - tensor(logQs, device: device);             // [n, S]
        if (bTrue is not null && bS is not null)
        {
            trueLogit = trueLogit + bTrue;
            sLogits = sLogits + bS;
        }
        var hits = labels.unsqueeze(1).eq(sampled.unsqueeze(0));                         // [n, S]
        sLogits = sLogits.masked_fill(hits, -1e9f);
        var logits = cat([trueLogit.unsqueeze(1), sLogits], 1);                         // [n, 1+S]
        var target = zeros(labels.shape[0], ScalarType.Int64, device);
        return nn.functional.cross_entropy(logits, target).MoveToOuterDisposeScope();
    }
}
