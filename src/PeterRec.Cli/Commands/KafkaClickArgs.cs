using System.CommandLine;
using PeterRec.Kafka;
using PeterRec.Model.Data;

namespace PeterRec.Cli.Commands;

/// <summary>The options of reading clicks from a Kafka topic instead of a file (<c>pretrain --from-kafka</c>).</summary>
public sealed class KafkaClickArgs
{
    private readonly Option<bool> _fromKafka = new("--from-kafka") { Description = "Read the clicks topic (earliest to the end offsets at start, no consumer group) instead of --data/--events" };
    private readonly Option<string?> _bootstrap = new("--bootstrap-servers") { Description = "With --from-kafka: Kafka bootstrap servers (Kafka:BootstrapServers)" };
    private readonly Option<string?> _bootstrapFile = new("--bootstrap-file") { Description = "With --from-kafka: file with the bootstrap servers (from dev-broker)" };
    private readonly Option<string?> _topic = new("--topic") { Description = "With --from-kafka: the clicks topic (default Topics:Clicks, peterrec.clicks)" };
    private readonly Option<string?> _since = new("--since") { Description = "With --from-kafka: only clicks at or after this event time (unix s/ms or ISO 8601)" };

    public static KafkaClickArgs AddTo(Command command)
    {
        var a = new KafkaClickArgs();
        foreach (var o in new Option[] { a._fromKafka, a._bootstrap, a._bootstrapFile, a._topic, a._since }) command.Options.Add(o);
        return a;
    }

    /// <summary>True with --from-kafka; refuses a file input beside it and Kafka options without it.</summary>
    public bool FromKafka(ParseResult r, Option<string?> data, EventLogArgs events)
    {
        var from = r.GetValue(_fromKafka);
        if (from && (r.GetValue(data) is not null || events.HasEvents(r)))
            throw new ArgumentException("--from-kafka: expected no --data or --events beside it");
        if (!from && (r.GetValue(_topic) ?? r.GetValue(_since) ?? r.GetValue(_bootstrap) ?? r.GetValue(_bootstrapFile)) is not null)
            throw new ArgumentException("--topic, --since, --bootstrap-servers and --bootstrap-file: expected them with --from-kafka");
        return from;
    }

    public long? SinceMs(ParseResult r) => r.GetValue(_since) is { } since ? EventTimestamp.Parse(since, "--since") : null;

    public ClickTopicReader Reader(ParseResult r)
    {
        var (configs, topics) = KafkaSettings.FromEnvironment(r.GetValue(_bootstrap), r.GetValue(_bootstrapFile));
        return new ClickTopicReader(configs, r.GetValue(_topic) ?? topics.Clicks);
    }
}
