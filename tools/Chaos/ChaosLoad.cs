using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using PeterRec.Contracts;
using PeterRec.Kafka;

namespace PeterRec.Chaos;

/// <summary>
/// The offered load: clicks at a steady rate (random users and items, ts strictly increasing), a task event every
/// few clicks (label a function of the clicked item), and poison records of rotating kinds on every topic.
/// An idempotent producer (acks=all), so broker errors cannot duplicate a record; only acknowledged records count.
/// </summary>
public sealed class ChaosLoad(ChaosSettings s, string bootstrap, TopicOptions topics)
{
    private long _clicks, _taskEvents, _poison, _failed;

    public long Clicks => Interlocked.Read(ref _clicks);
    public long TaskEvents => Interlocked.Read(ref _taskEvents);
    public long Poison => Interlocked.Read(ref _poison);
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The poison kinds, each rejected by the parsers for a different reason.</summary>
    public static byte[] PoisonValue(int kind, long ts) => Encoding.UTF8.GetBytes((kind % 6) switch
    {
        0 => "{not json",
        1 => "[1,2,3]",
        2 => """{"user":"p","item":"x","task":"rec","label":"x"}""",
        3 => $$"""{"user":"{{new string('u', 5000)}}","item":"x","task":"rec","label":"x","ts":{{ts}}}""",
        4 => """{"user":"p","item":"x","task":"rec","label":"x","ts":1700000000}""",
        _ => $$"""{"user":7,"item":"x","task":"rec","label":"x","ts":{{ts}}}""",
    });

    public async Task RunAsync(TimeSpan duration, CancellationToken ct)
    {
        using var producer = KafkaClientFactory.Instance.CreateProducer(new ProducerConfig
        {
            BootstrapServers = bootstrap, EnableIdempotence = true, Acks = Acks.All, LingerMs = 5, ClientId = "peterrec-chaos-load",
        });
        var rng = new Random(s.Seed);
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 3_600_000;
        long seq = 0;
        int poisonKind = 0;
        var clock = Stopwatch.StartNew();
        void Send(string topic, string key, byte[] value, Action counted) =>
            producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value }, r =>
            {
                if (r.Error.IsError) Interlocked.Increment(ref _failed);
                else counted();
            });
        while (clock.Elapsed < duration && !ct.IsCancellationRequested)
        {
            var due = (long)(s.Rate * clock.Elapsed.TotalSeconds);
            for (; seq < due; seq++)
            {
                var ts = t0 + seq;
                var user = $"u{rng.Next(s.Users)}";
                var item = rng.Next(s.Items);
                Send(topics.Clicks, user, new ClickEvent(user, ChaosBackbone.Item(item), ts).ToJson(), () => Interlocked.Increment(ref _clicks));
                if (s.TaskEventEvery > 0 && seq % s.TaskEventEvery == 0)
                    Send(topics.TaskEvents, user, new TaskEvent(user, "rec", $"t{item % 10}", ts).ToJson(), () => Interlocked.Increment(ref _taskEvents));
                if (s.PoisonEvery > 0 && seq % s.PoisonEvery == 0)
                {
                    var topic = (poisonKind / 6 % 3) switch { 0 => topics.Clicks, 1 => topics.TaskEvents, _ => topics.ChangedUsers };
                    Send(topic, "poison", PoisonValue(poisonKind++, ts), () => Interlocked.Increment(ref _poison));
                }
            }
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
        // Every record is acknowledged (or failed) before the load counts as sent.
        while (producer.Flush(TimeSpan.FromSeconds(1)) > 0 && !ct.IsCancellationRequested) { }
    }
}
