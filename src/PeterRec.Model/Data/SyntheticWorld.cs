using System.Globalization;

namespace PeterRec.Model.Data;

/// <summary>A synthetic user: latent profile class and source sequence (item indices, oldest first).</summary>
public sealed record SyntheticUser(int Label, int[] Items);

/// <summary>
/// The latent structure behind <see cref="SyntheticTransfer"/>: topics, item and target-item
/// membership, Zipf popularity, successor chains, item-to-target affinities and the topic group of
/// each profile class. It is a pure function of the options (its own seeded stream), so tests and
/// diagnostics can rebuild it to compute oracles from the written files.
/// </summary>
public sealed class SyntheticWorld
{
    private readonly int[] _itemTopic;
    private readonly WeightedSampler[] _topicItems;
    private readonly int[][] _topicItemIds;
    private readonly int[] _successor;
    private readonly int[] _targetTopic;
    private readonly WeightedSampler[] _topicTargets;
    private readonly int[][] _topicTargetIds;
    private readonly int[] _affineTarget;
    private readonly int[] _topicGroup;
    private readonly WeightedSampler _topics;
    private readonly WeightedSampler[] _groupTopics;
    private readonly int[][] _groupTopicIds;
    private readonly WeightedSampler _classes;

    public SyntheticWorld(SyntheticOptions options)
    {
        options.Validate();
        Options = options;
        var o = options;
        var rng = new Random(SyntheticTransfer.DeriveSeed(o.Seed, 1));

        // Topic ids are popularity ranks: topic 0 is the most popular.
        _topics = new WeightedSampler(WeightedSampler.Zipf(o.Topics, o.TopicSkew));
        (_itemTopic, _topicItemIds) = AssignToTopics(o.SourceItems, o.Topics, rng);
        (_targetTopic, _topicTargetIds) = AssignToTopics(o.TargetItems, o.Topics, rng);
        _topicItems = _topicItemIds.Select(ids => new WeightedSampler(WeightedSampler.Zipf(ids.Length, o.ItemSkew))).ToArray();
        _topicTargets = _topicTargetIds.Select(ids => new WeightedSampler(WeightedSampler.Zipf(ids.Length, o.ItemSkew))).ToArray();

        // Successor chains: a random cycle through each topic's items, independent of popularity,
        // so following it is only predictable from the previous item (order matters).
        _successor = new int[o.SourceItems];
        foreach (var ids in _topicItemIds)
        {
            var cycle = (int[])ids.Clone();
            rng.Shuffle(cycle);
            for (var i = 0; i < cycle.Length; i++) _successor[cycle[i]] = cycle[(i + 1) % cycle.Length];
        }

        // Each source item points at one target item of its topic: the fine-grained signal of the
        // recommendation task beyond "which topic".
        _affineTarget = new int[o.SourceItems];
        for (var i = 0; i < o.SourceItems; i++)
        {
            var candidates = _topicTargetIds[_itemTopic[i]];
            _affineTarget[i] = candidates[rng.Next(candidates.Length)];
        }

        // Topic groups, one per class; a shuffled assignment mixes popular and rare topics in each group.
        _topicGroup = new int[o.Topics];
        var order = Enumerable.Range(0, o.Topics).ToArray();
        rng.Shuffle(order);
        for (var j = 0; j < o.Topics; j++) _topicGroup[order[j]] = j % o.Classes;
        _groupTopicIds = Enumerable.Range(0, o.Classes)
            .Select(g => Enumerable.Range(0, o.Topics).Where(t => _topicGroup[t] == g).ToArray()).ToArray();
        var topicWeights = WeightedSampler.Zipf(o.Topics, o.TopicSkew);
        _groupTopics = _groupTopicIds.Select(ids => new WeightedSampler(ids.Select(t => topicWeights[t]).ToArray())).ToArray();

        // Mildly skewed class prior (like age buckets): chance is not 1/Classes.
        _classes = new WeightedSampler(WeightedSampler.Zipf(o.Classes, 0.5));
    }

    public SyntheticOptions Options { get; }

    public static string SourceToken(int item) => "s" + item.ToString(CultureInfo.InvariantCulture);
    public static string TargetToken(int item) => "t" + item.ToString(CultureInfo.InvariantCulture);
    public static string ClassToken(int label) => "c" + label.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parses a token written by this generator ("s12", "t3", "c1") back to its index.</summary>
    public static int ParseToken(string token) => int.Parse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture);

    public int TopicOfSourceItem(int item) => _itemTopic[item];
    public int TopicOfTargetItem(int target) => _targetTopic[target];
    public int GroupOfTopic(int topic) => _topicGroup[topic];
    public int SuccessorOf(int item) => _successor[item];
    public int AffineTargetOf(int item) => _affineTarget[item];

    /// <summary>Draws a user: class, then label-biased interests, then a drifting, chain-following sequence.</summary>
    public SyntheticUser SampleUser(Random rng)
    {
        var o = Options;
        var label = _classes.Sample(rng);
        var nTopics = rng.Next(1, o.MaxTopicsPerUser + 1);
        var topics = new List<int>(nTopics);
        var weights = new List<double>(nTopics);
        for (var i = 0; i < nTopics; i++)
        {
            var t = DrawInterest(label, rng);
            if (topics.Contains(t)) continue; // a repeat just leaves the user with fewer interests
            topics.Add(t);
            weights.Add(0.2 + 0.8 * rng.NextDouble());
        }

        var length = rng.Next(o.MinSeqLen, o.MaxSeqLen + 1);
        var items = new int[length];
        for (var p = 0; p < length; p++)
        {
            if (p > 0 && rng.NextDouble() < o.DriftProb)
            {
                var slot = rng.Next(topics.Count);
                topics[slot] = DrawInterest(label, rng);
                weights[slot] = 0.2 + 0.8 * rng.NextDouble();
            }
            if (p > 0 && rng.NextDouble() < o.ChainProb)
            {
                items[p] = _successor[items[p - 1]];
                continue;
            }
            var topic = topics[new WeightedSampler(weights).Sample(rng)];
            items[p] = _topicItemIds[topic][_topicItems[topic].Sample(rng)];
        }
        return new SyntheticUser(label, items);
    }

    /// <summary>
    /// Target items for a source sequence: topics weighted by recency (RecencyDecay^(steps from the
    /// end)), then either the affine target of the latest item of that topic or a popular target of
    /// it; with TargetNoise a target ignores the user. Distinct targets, in draw order.
    /// </summary>
    public int[] SampleTargets(IReadOnlyList<int> items, Random rng)
    {
        var o = Options;
        var topicScore = new double[o.Topics];
        var latestOfTopic = new int[o.Topics];
        var w = 1.0;
        for (var p = items.Count - 1; p >= 0; p--, w *= o.RecencyDecay)
        {
            var t = _itemTopic[items[p]];
            if (topicScore[t] == 0) latestOfTopic[t] = items[p];
            topicScore[t] += w;
        }
        var recent = new WeightedSampler(topicScore);

        var count = rng.Next(o.MinTargets, o.MaxTargets + 1);
        var targets = new List<int>(count);
        for (var attempt = 0; attempt < 50 * count && targets.Count < count; attempt++)
        {
            int target;
            if (rng.NextDouble() < o.TargetNoise)
            {
                var t = _topics.Sample(rng);
                target = _topicTargetIds[t][_topicTargets[t].Sample(rng)];
            }
            else
            {
                var t = recent.Sample(rng);
                target = rng.NextDouble() < o.TargetAffinity
                    ? _affineTarget[latestOfTopic[t]]
                    : _topicTargetIds[t][_topicTargets[t].Sample(rng)];
            }
            if (!targets.Contains(target)) targets.Add(target);
        }
        return [.. targets];
    }

    private int DrawInterest(int label, Random rng) =>
        rng.NextDouble() < Options.ProfileAffinity
            ? _groupTopicIds[label][_groupTopics[label].Sample(rng)]
            : _topics.Sample(rng);

    /// <summary>Shuffled round-robin: every topic gets n/k or n/k+1 members; index order within a topic is its popularity rank.</summary>
    private static (int[] Topic, int[][] Members) AssignToTopics(int n, int k, Random rng)
    {
        var perm = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(perm);
        var topic = new int[n];
        var members = new List<int>[k];
        for (var t = 0; t < k; t++) members[t] = [];
        for (var j = 0; j < n; j++)
        {
            topic[perm[j]] = j % k;
            members[j % k].Add(perm[j]);
        }
        return (topic, members.Select(m => m.ToArray()).ToArray());
    }
}
