namespace PeterRec.Model.Data;

/// <summary>
/// Knobs of the synthetic transfer benchmark (see <see cref="SyntheticTransfer"/>). The defaults are
/// sized so that pretraining once plus 7 fine-tune modes x 2 tasks fit in about ten minutes on 2 CPU
/// cores with a 64-channel, 8-block backbone.
/// </summary>
/// <param name="Seed">Seeds every random choice; the same options give byte-identical files.</param>
/// <param name="PretrainUsers">Users in pretrain.csv (the data-rich source domain).</param>
/// <param name="FineTuneUsers">Users in rec.csv and cls.csv (the same users, in the same order, in both).</param>
/// <param name="SourceItems">Source-domain items ("s0".."sN-1").</param>
/// <param name="TargetItems">Target-domain items ("t0".."tN-1"), a vocabulary disjoint from the source one.</param>
/// <param name="Topics">Latent interest topics shared by both domains.</param>
/// <param name="Classes">Profile classes ("c0".."cN-1") in cls.csv.</param>
/// <param name="MinSeqLen">Shortest source sequence.</param>
/// <param name="MaxSeqLen">Longest source sequence; with <paramref name="PadToMaxLength"/> rows are left-padded with "0" to it.</param>
/// <param name="MaxTopicsPerUser">A user starts with 1..this many interest topics.</param>
/// <param name="ChainProb">Chance that the next item is the previous item's preferred successor (order signal).</param>
/// <param name="DriftProb">Chance per step that one of the user's interests is replaced (interest drift).</param>
/// <param name="TopicSkew">Zipf exponent of topic popularity.</param>
/// <param name="ItemSkew">Zipf exponent of item popularity within a topic (source and target items).</param>
/// <param name="RecencyDecay">Weight of a source position for the target topic is RecencyDecay^(steps from the end).</param>
/// <param name="MinTargets">Fewest target items per fine-tune user.</param>
/// <param name="MaxTargets">Most target items per fine-tune user.</param>
/// <param name="TargetAffinity">Chance that a target is the affine target of the latest source item of its topic (rather than a popular one).</param>
/// <param name="TargetNoise">Chance that a target ignores the user entirely (drawn by global popularity).</param>
/// <param name="ProfileAffinity">Chance that an interest topic is drawn from the topic group of the user's class (else from all topics).</param>
/// <param name="FineTuneFromPretrain">True: fine-tune users are a sample of the pretrain users (same sequences). False: fresh users the backbone never saw.</param>
/// <param name="PadToMaxLength">Left-pad source sequences with "0" to <paramref name="MaxSeqLen"/>, as the paper's files are.</param>
/// <param name="EventLog">Also write the benchmark as an event log: events.csv (one click per row), rec_labels.csv and cls_labels.csv (see <see cref="SyntheticEventLog"/>).</param>
public sealed record SyntheticOptions(
    int Seed = 7,
    int PretrainUsers = 6000,
    int FineTuneUsers = 3000,
    int SourceItems = 1500,
    int TargetItems = 400,
    int Topics = 32,
    int Classes = 6,
    int MinSeqLen = 20,
    int MaxSeqLen = 40,
    int MaxTopicsPerUser = 3,
    double ChainProb = 0.5,
    double DriftProb = 0.04,
    double TopicSkew = 0.6,
    double ItemSkew = 1.0,
    double RecencyDecay = 0.8,
    int MinTargets = 1,
    int MaxTargets = 3,
    double TargetAffinity = 0.5,
    double TargetNoise = 0.1,
    double ProfileAffinity = 0.75,
    bool FineTuneFromPretrain = false,
    bool PadToMaxLength = true,
    bool EventLog = false)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the first knob that is out of range.</summary>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string rule)
        {
            if (!ok) throw new ArgumentException($"{name} must be {rule}, got {value}", name);
        }
        static void Prob(double p, string name) => Require(p is >= 0 and <= 1, name, p, "in [0, 1]");

        Require(PretrainUsers >= 1, nameof(PretrainUsers), PretrainUsers, "at least 1");
        Require(FineTuneUsers >= 1, nameof(FineTuneUsers), FineTuneUsers, "at least 1");
        Require(Topics >= 2, nameof(Topics), Topics, "at least 2");
        Require(Classes >= 2 && Classes <= Topics, nameof(Classes), Classes, $"in [2, Topics={Topics}] (each class needs its own topic group)");
        Require(SourceItems >= 2 * Topics, nameof(SourceItems), SourceItems, $"at least 2 x Topics = {2 * Topics} (each topic needs a chain of 2+ items)");
        Require(TargetItems >= Topics, nameof(TargetItems), TargetItems, $"at least Topics = {Topics} (each topic needs a target item)");
        Require(MinSeqLen >= 2, nameof(MinSeqLen), MinSeqLen, "at least 2");
        Require(MaxSeqLen >= MinSeqLen, nameof(MaxSeqLen), MaxSeqLen, $"at least MinSeqLen = {MinSeqLen}");
        Require(MaxTopicsPerUser >= 1 && MaxTopicsPerUser <= Topics, nameof(MaxTopicsPerUser), MaxTopicsPerUser, $"in [1, Topics={Topics}]");
        Require(MinTargets >= 1, nameof(MinTargets), MinTargets, "at least 1");
        Require(MaxTargets >= MinTargets, nameof(MaxTargets), MaxTargets, $"at least MinTargets = {MinTargets}");
        Require(MaxTargets <= TargetItems / Topics, nameof(MaxTargets), MaxTargets, $"at most TargetItems / Topics = {TargetItems / Topics} (targets are distinct items, often from one topic)");
        Require(TopicSkew is >= 0 and <= 5, nameof(TopicSkew), TopicSkew, "in [0, 5]");
        Require(ItemSkew is >= 0 and <= 5, nameof(ItemSkew), ItemSkew, "in [0, 5]");
        Require(RecencyDecay is > 0 and <= 1, nameof(RecencyDecay), RecencyDecay, "in (0, 1]");
        Prob(ChainProb, nameof(ChainProb));
        Prob(DriftProb, nameof(DriftProb));
        Prob(TargetAffinity, nameof(TargetAffinity));
        Prob(TargetNoise, nameof(TargetNoise));
        Prob(ProfileAffinity, nameof(ProfileAffinity));
        Require(!FineTuneFromPretrain || FineTuneUsers <= PretrainUsers, nameof(FineTuneUsers), FineTuneUsers,
            $"at most PretrainUsers = {PretrainUsers} when fine-tune users are drawn from the pretrain users");
    }
}
