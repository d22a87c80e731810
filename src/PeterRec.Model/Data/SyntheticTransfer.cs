using System.Globalization;
using System.Text;

namespace PeterRec.Model.Data;

/// <summary>What <see cref="SyntheticTransfer.Generate"/> wrote.</summary>
public sealed record SyntheticSummary(
    string OutDir,
    int PretrainUsers,
    int FineTuneUsers,
    long PretrainTokens,
    int SourceItemsUsed,
    int TargetItemsUsed,
    int Classes,
    double MajorityClassShare)
{
    public override string ToString() => $"wrote {OutDir}: {Describe()}";

    /// <summary>The counts alone, without the output directory (the README must not depend on where it was written).</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"pretrain.csv {PretrainUsers} users / {PretrainTokens} items ({SourceItemsUsed} distinct), " +
        $"rec.csv + cls.csv {FineTuneUsers} users ({TargetItemsUsed} distinct targets, {Classes} classes, majority class {MajorityClassShare:P1})");
}

/// <summary>
/// A synthetic source-to-target transfer benchmark with a known generative process (see
/// <see cref="SyntheticWorld"/> and the README.txt it writes): pretrain.csv (source sequences of
/// many users), rec.csv (fine-tune: source sequence,,target items of a separate vocabulary) and
/// cls.csv (source sequence,,profile class). Deterministic for a given <see cref="SyntheticOptions"/>.
/// </summary>
public static class SyntheticTransfer
{
    public static SyntheticSummary Generate(string outDir, SyntheticOptions options)
    {
        ArgumentNullException.ThrowIfNull(outDir);
        ArgumentNullException.ThrowIfNull(options);
        var world = new SyntheticWorld(options);
        var o = options;
        Directory.CreateDirectory(outDir);

        // Separate streams per stage: changing the number of users does not reshuffle the world,
        // and adding fine-tune users does not change the pretrain file.
        var pretrainRng = new Random(DeriveSeed(o.Seed, 2));
        var pretrain = new SyntheticUser[o.PretrainUsers];
        for (var u = 0; u < pretrain.Length; u++) pretrain[u] = world.SampleUser(pretrainRng);

        var fineTuneRng = new Random(DeriveSeed(o.Seed, 3));
        SyntheticUser[] fineTune;
        int[]? fromPretrain = null;
        if (o.FineTuneFromPretrain)
        {
            var pick = Enumerable.Range(0, pretrain.Length).ToArray();
            fineTuneRng.Shuffle(pick);
            fromPretrain = pick[..o.FineTuneUsers];
            fineTune = fromPretrain.Select(i => pretrain[i]).ToArray();
        }
        else
        {
            fineTune = new SyntheticUser[o.FineTuneUsers];
            for (var u = 0; u < fineTune.Length; u++) fineTune[u] = world.SampleUser(fineTuneRng);
        }
        var targetRng = new Random(DeriveSeed(o.Seed, 4));
        var targets = fineTune.Select(u => world.SampleTargets(u.Items, targetRng)).ToArray();

        var padTo = o.PadToMaxLength ? o.MaxSeqLen : 0;
        SequenceCsv.WritePretrain(Path.Combine(outDir, "pretrain.csv"), pretrain.Select(u => (IReadOnlyList<string>)Tokens(u.Items, SyntheticWorld.SourceToken)), padTo);
        SequenceCsv.WriteFineTune(Path.Combine(outDir, "rec.csv"),
            fineTune.Select((u, i) => ((IReadOnlyList<string>)Tokens(u.Items, SyntheticWorld.SourceToken), (IReadOnlyList<string>)Tokens(targets[i], SyntheticWorld.TargetToken))), padTo);
        SequenceCsv.WriteFineTune(Path.Combine(outDir, "cls.csv"),
            fineTune.Select(u => ((IReadOnlyList<string>)Tokens(u.Items, SyntheticWorld.SourceToken), (IReadOnlyList<string>)[SyntheticWorld.ClassToken(u.Label)])), padTo);
        if (o.EventLog) SyntheticEventLog.Write(outDir, o, pretrain, fineTune, fromPretrain, targets);

        var classCounts = new int[o.Classes];
        foreach (var u in fineTune) classCounts[u.Label]++;
        var summary = new SyntheticSummary(
            outDir,
            pretrain.Length,
            fineTune.Length,
            pretrain.Sum(u => (long)u.Items.Length),
            pretrain.Concat(fineTune).SelectMany(u => u.Items).Distinct().Count(),
            targets.SelectMany(t => t).Distinct().Count(),
            o.Classes,
            (double)classCounts.Max() / fineTune.Length);
        WriteReadme(Path.Combine(outDir, "README.txt"), o, summary);
        return summary;
    }

    /// <summary>SplitMix64 of (seed, stream): independent, reproducible seeds for System.Random, whose seeded algorithm is fixed across .NET versions.</summary>
    internal static int DeriveSeed(int seed, int stream)
    {
        var z = unchecked((ulong)(uint)seed * 0x9E3779B97F4A7C15UL + (ulong)stream * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    private static string[] Tokens(int[] ids, Func<int, string> token) => Array.ConvertAll(ids, i => token(i));

    private static void WriteReadme(string path, SyntheticOptions o, SyntheticSummary s)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"""
            Synthetic PeterRec transfer benchmark (generated by `peterrec gen-data`, seed {o.Seed})

            Files
              pretrain.csv  {s.PretrainUsers} users, one per line, source items oldest first{(o.PadToMaxLength ? $", left-padded with 0 to {o.MaxSeqLen}" : "")}.
              rec.csv       {s.FineTuneUsers} users: source sequence,,target items (tokens t*, a vocabulary disjoint from the source s*).
              cls.csv       the same {s.FineTuneUsers} users in the same order: source sequence,,class label (c0..c{o.Classes - 1}).
              Fine-tune users are {(o.FineTuneFromPretrain ? "a random sample of the pretrain users (same sequences)" : "fresh users: none of them is in pretrain.csv")}.{(o.EventLog ? "\n" + SyntheticEventLog.Describe(o) : "")}

            Generative process
              1. {o.Topics} latent topics with Zipf({o.TopicSkew}) popularity. {o.SourceItems} source items and {o.TargetItems} target
                 items are split round-robin over the topics; within a topic, item popularity is Zipf({o.ItemSkew}).
                 Each source item has a preferred successor (a random cycle through its topic's items) and an
                 affine target item of the same topic. Topics are split into {o.Classes} groups, one per class.
              2. A user draws a class (prior Zipf(0.5) over classes), then 1..{o.MaxTopicsPerUser} interest topics with mixture
                 weights U(0.2, 1); each topic comes from the class's group with probability {o.ProfileAffinity}, else from all topics.
              3. Sequence of length U[{o.MinSeqLen}, {o.MaxSeqLen}]: at each step one interest is replaced with probability {o.DriftProb}
                 (drift); with probability {o.ChainProb} the next item is the previous item's successor (order matters),
                 otherwise a topic is drawn from the mixture and an item from that topic by popularity.
              4. rec.csv: {o.MinTargets}..{o.MaxTargets} distinct targets. Each: with probability {o.TargetNoise} a random popular target;
                 otherwise a topic drawn by recency-weighted topic counts of the sequence (weight {o.RecencyDecay}^steps-from-end),
                 then with probability {o.TargetAffinity} the affine target of the sequence's latest item of that topic, else a
                 popular target of the topic. The last positions matter most.
              5. cls.csv: the user's class from step 2. It drives the interests, so it is learnable only from behaviour.
              Random streams: System.Random seeded through SplitMix64(seed, stage); byte-identical output per seed.

            Summary
              {s.Describe()}

            """);
        File.WriteAllText(path, sb.ToString().ReplaceLineEndings("\n"), new UTF8Encoding(false));
    }
}
