using PeterRec.Contracts;

namespace PeterRec.Kafka;

/// <summary>
/// The clicks of a topic as they stand now (a <see cref="TopicSnapshot"/>), parsed with the contracts' parser the
/// Ingest role uses: a record Ingest would send to the dead-letter topic is skipped here and counted by reason.
/// </summary>
/// <remarks>Ingest also dead-letters clicks stamped too far in the future of its own clock; a historical read has no
/// such clock, so those are kept (the time split, <c>--until</c>, bounds what is used).</remarks>
public sealed class ClickTopicReader(KafkaClientConfigs configs, string topic)
{
    private readonly Dictionary<string, long> _skipped = new(StringComparer.Ordinal);

    public string Topic => topic;

    /// <summary>Records skipped, by dead-letter kind (as Ingest's metric labels them).</summary>
    public IReadOnlyDictionary<string, long> Skipped => _skipped;

    public long SkippedTotal => _skipped.Values.Sum();

    /// <summary>The first few skipped records: partition, offset and why.</summary>
    public List<string> SkippedExamples { get; } = [];

    public IEnumerable<(string User, string Item, long TimeMs)> Read(Action<string>? log = null)
    {
        foreach (var r in TopicSnapshot.Read(configs, KafkaClientFactory.Instance, topic, log: log))
        {
            var parsed = ClickEvent.Parse(r.Message.Value ?? []);
            if (!parsed.IsValid)
            {
                var kind = parsed.Reason.ToKind();
                _skipped[kind] = _skipped.GetValueOrDefault(kind) + 1;
                if (SkippedExamples.Count < 5) SkippedExamples.Add($"{r.TopicPartitionOffset}: {parsed.Describe()}");
                continue;
            }
            var c = parsed.Value!;
            yield return (c.User, c.Item, c.Ts);
        }
    }
}
