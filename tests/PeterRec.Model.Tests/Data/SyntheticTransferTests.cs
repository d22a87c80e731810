using PeterRec.Model.Data;

namespace PeterRec.Model.Tests.Data;

public class SyntheticTransferTests
{
    private static readonly SyntheticOptions Small = new(PretrainUsers: 300, FineTuneUsers: 200, SourceItems: 200, TargetItems: 60, Topics: 10, Classes: 4);
    private static readonly string[] Files = ["pretrain.csv", "rec.csv", "cls.csv", "README.txt"];

    [Fact]
    public void Same_seed_gives_byte_identical_files_wherever_they_are_written()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        SyntheticTransfer.Generate(a.Path, Small);
        SyntheticTransfer.Generate(b.Path, Small);
        foreach (var f in Files)
            Assert.Equal(File.ReadAllBytes(a.File(f)), File.ReadAllBytes(b.File(f)));
    }

    [Fact]
    public void Another_seed_gives_different_data()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        SyntheticTransfer.Generate(a.Path, Small);
        SyntheticTransfer.Generate(b.Path, Small with { Seed = 8 });
        foreach (var f in Files.Take(3))
            Assert.NotEqual(File.ReadAllBytes(a.File(f)), File.ReadAllBytes(b.File(f)));
    }

    [Fact]
    public void Files_parse_with_disjoint_source_and_target_vocabularies_and_match_the_summary()
    {
        using var dir = new TempDir();
        var s = SyntheticTransfer.Generate(dir.Path, Small);
        var data = SyntheticData.Read(dir.Path);

        Assert.Equal(Small.PretrainUsers, data.Pretrain.Count);
        Assert.Equal(Small.FineTuneUsers, data.Rec.Count);
        Assert.Equal(Small.FineTuneUsers, data.Cls.Count);
        Assert.Equal(s.PretrainTokens, data.Pretrain.Sum(r => (long)r.Items.Length));
        Assert.All(data.Pretrain, r => Assert.InRange(r.Items.Length, Small.MinSeqLen, Small.MaxSeqLen));
        Assert.All(data.Pretrain.SelectMany(r => r.Items), t => Assert.StartsWith("s", t));
        Assert.All(data.Rec, r => Assert.InRange(r.Targets.Length, Small.MinTargets, Small.MaxTargets));
        Assert.All(data.Rec, r => Assert.Equal(r.Targets.Length, r.Targets.Distinct().Count()));
        Assert.All(data.Rec.SelectMany(r => r.Targets), t => Assert.StartsWith("t", t));
        Assert.All(data.Cls, r => Assert.InRange(SyntheticWorld.ParseToken(Assert.Single(r.Targets)), 0, Small.Classes - 1));
        // Both tasks list the same users in the same order.
        Assert.Equal(data.Rec.Select(r => r.Source), data.Cls.Select(r => r.Source));
        // The paper's layout: every row left-padded to the longest sequence.
        Assert.All(File.ReadLines(dir.File("pretrain.csv")), l => Assert.Equal(Small.MaxSeqLen, l.Split(',').Length));
    }

    [Fact]
    public void Fine_tune_users_are_fresh_by_default_and_drawn_from_pretrain_on_request()
    {
        using var fresh = new TempDir();
        using var overlap = new TempDir();
        SyntheticTransfer.Generate(fresh.Path, Small);
        SyntheticTransfer.Generate(overlap.Path, Small with { FineTuneFromPretrain = true });
        static int InPretrain(SyntheticData d)
        {
            var seen = d.Pretrain.Select(r => string.Join(',', r.Items)).ToHashSet();
            return d.Rec.Count(r => seen.Contains(string.Join(',', r.Source)));
        }
        Assert.Equal(0, InPretrain(SyntheticData.Read(fresh.Path)));
        Assert.Equal(Small.FineTuneUsers, InPretrain(SyntheticData.Read(overlap.Path)));
    }

    [Fact]
    public void Source_sequences_follow_item_chains_and_skewed_popularity()
    {
        using var dir = new TempDir();
        var options = new SyntheticOptions();
        SyntheticTransfer.Generate(dir.Path, options);
        var world = new SyntheticWorld(options);
        var seqs = SyntheticData.Read(dir.Path).Pretrain.Select(r => r.Items.Select(SyntheticWorld.ParseToken).ToArray()).ToList();

        var pairs = seqs.SelectMany(s => s.Zip(s.Skip(1))).ToList();
        var chainShare = pairs.Count(p => world.SuccessorOf(p.First) == p.Second) / (double)pairs.Count;
        Assert.InRange(chainShare, options.ChainProb - 0.05, options.ChainProb + 0.1);

        var counts = seqs.SelectMany(s => s).GroupBy(i => i).Select(g => g.Count()).OrderDescending().ToArray();
        var top10 = counts.Take(options.SourceItems / 10).Sum() / (double)counts.Sum();
        Assert.True(top10 > 0.25, $"top 10% of items have {top10:P1} of occurrences; popularity should be skewed");
    }

    [Fact]
    public void Profile_label_is_predictable_from_behaviour_and_not_from_a_shuffled_pairing()
    {
        using var dir = new TempDir();
        var options = new SyntheticOptions();
        SyntheticTransfer.Generate(dir.Path, options);
        var world = new SyntheticWorld(options);
        var cls = SyntheticData.Read(dir.Path).Cls;
        var labels = cls.Select(r => SyntheticWorld.ParseToken(r.Targets[0])).ToArray();
        // Oracle: the topic group that most of the user's items belong to.
        var predicted = cls.Select(r =>
        {
            var votes = new int[options.Classes];
            foreach (var t in r.Source) votes[world.GroupOfTopic(world.TopicOfSourceItem(SyntheticWorld.ParseToken(t)))]++;
            return Array.IndexOf(votes, votes.Max());
        }).ToArray();
        var majority = labels.GroupBy(l => l).Max(g => g.Count()) / (double)labels.Length;
        var shuffled = labels.ToArray();
        new Random(1).Shuffle(shuffled);

        var accuracy = Accuracy(predicted, labels);
        var shuffledAccuracy = Accuracy(predicted, shuffled);
        Assert.True(accuracy > majority + 0.3, $"oracle {accuracy:P1} vs majority {majority:P1}");
        Assert.True(shuffledAccuracy < majority, $"shuffled pairing {shuffledAccuracy:P1} vs majority {majority:P1}");
    }

    [Fact]
    public void Targets_follow_the_most_recent_interests()
    {
        using var dir = new TempDir();
        var options = new SyntheticOptions();
        SyntheticTransfer.Generate(dir.Path, options);
        var world = new SyntheticWorld(options);
        var rec = SyntheticData.Read(dir.Path).Rec;

        int[] Topics(string[] tokens, Func<int, int> topicOf) => tokens.Select(t => topicOf(SyntheticWorld.ParseToken(t))).ToArray();
        double HitRate(Func<int[], int> guess, bool shuffle)
        {
            var sources = rec.Select(r => Topics(r.Source, world.TopicOfSourceItem)).ToArray();
            if (shuffle) new Random(2).Shuffle(sources);
            var hits = 0; var total = 0;
            for (var i = 0; i < rec.Count; i++)
            {
                var g = guess(sources[i]);
                foreach (var t in Topics(rec[i].Targets, world.TopicOfTargetItem)) { total++; if (t == g) hits++; }
            }
            return hits / (double)total;
        }
        static int MostFrequent(IEnumerable<int> topics) => topics.GroupBy(t => t).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;

        var lastItems = HitRate(s => MostFrequent(s.TakeLast(5)), shuffle: false);
        var wholeSequence = HitRate(s => MostFrequent(s), shuffle: false);
        var shuffled = HitRate(s => MostFrequent(s.TakeLast(5)), shuffle: true);
        Assert.True(lastItems > 0.5, $"recent-topic oracle hits {lastItems:P1}");
        Assert.True(lastItems > wholeSequence + 0.02, $"recent {lastItems:P1} should beat whole-sequence {wholeSequence:P1}");
        Assert.True(shuffled < 0.15, $"shuffled pairing hits {shuffled:P1}");
    }

    [Theory]
    [InlineData("Topics")]
    [InlineData("ChainProb")]
    [InlineData("MaxSeqLen")]
    [InlineData("FineTuneUsers")]
    public void Out_of_range_knobs_are_rejected_by_name(string knob)
    {
        var bad = knob switch
        {
            "Topics" => Small with { Topics = 1 },
            "ChainProb" => Small with { ChainProb = 1.5 },
            "MaxSeqLen" => Small with { MaxSeqLen = Small.MinSeqLen - 1 },
            _ => Small with { FineTuneFromPretrain = true, FineTuneUsers = Small.PretrainUsers + 1 },
        };
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => SyntheticTransfer.Generate(dir.Path, bad));
        Assert.Equal(knob, e.ParamName);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    private static double Accuracy(int[] predicted, int[] labels) =>
        predicted.Zip(labels).Count(p => p.First == p.Second) / (double)labels.Length;
}

/// <summary>The three generated files, read back through the production reader.</summary>
internal sealed record SyntheticData(IReadOnlyList<PretrainRow> Pretrain, IReadOnlyList<FineTuneRow> Rec, IReadOnlyList<FineTuneRow> Cls)
{
    public static SyntheticData Read(string dir)
    {
        var o = new CsvReadOptions();
        return new SyntheticData(
            SequenceCsv.ReadPretrain(Path.Combine(dir, "pretrain.csv"), o).Rows,
            SequenceCsv.ReadFineTune(Path.Combine(dir, "rec.csv"), o).Rows,
            SequenceCsv.ReadFineTune(Path.Combine(dir, "cls.csv"), o).Rows);
    }
}
