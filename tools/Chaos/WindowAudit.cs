using Confluent.Kafka;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Redis;
using StackExchange.Redis;

namespace PeterRec.Chaos;

/// <summary>What the audit found: the topic as the truth against Redis and the dead-letter topic.</summary>
public sealed record AuditResult(
    long ValidClicks, long Users, long ExpectedEntries, long WindowEntries, long Lost, long Duplicated, long Unexpected, long UsersWrong,
    long DeadLettersExpected, long DeadLettersReceived, long DeadLettersDistinct, long DeadLettersMissing, long DeadLettersUnexpected)
{
    /// <summary>The first differences found (users whose window differs, dead letters missing or unexpected), for a failed run's report.</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    public bool Clean => Lost == 0 && Duplicated == 0 && Unexpected == 0 && UsersWrong == 0 && DeadLettersMissing == 0 && DeadLettersUnexpected == 0;
}

/// <summary>
/// Re-reads the topics from the start with a fresh, group-less consumer and recomputes what the roles should have done:
/// each user's window = its last <c>WindowSize</c> valid clicks in (ts, partition, offset) order (Ingest's rule for
/// clicks that arrive in ts order, which the chaos load guarantees), and one dead letter per invalid record on each
/// consumed topic. Dead letters may repeat (at-least-once: a crash between sending one and storing the offset);
/// repeats are reported, not counted as errors.
/// </summary>
public static class WindowAudit
{
    private const int MaxDetails = 20;

    public static async Task<AuditResult> RunAsync(string bootstrap, IConnectionMultiplexer redis, string keyPrefix, int windowSize,
        TopicOptions topics, IReadOnlyCollection<string> consumedTopics)
    {
        var windows = new Dictionary<string, List<(long Ts, int Partition, long Offset, string Item)>>(StringComparer.Ordinal);
        var expectedDead = new HashSet<(string, int, long)>();
        long valid = 0;
        foreach (var r in ReadAll(bootstrap, topics.Clicks))
        {
            var c = ClickEvent.Parse(r.Message.Value ?? []);
            if (!c.IsValid) { if (consumedTopics.Contains(topics.Clicks)) expectedDead.Add((r.Topic, r.Partition.Value, r.Offset.Value)); continue; }
            valid++;
            if (!windows.TryGetValue(c.Value!.User, out var list)) windows[c.Value.User] = list = [];
            list.Add((c.Value.Ts, r.Partition.Value, r.Offset.Value, c.Value.Item));
        }
        if (consumedTopics.Contains(topics.TaskEvents))
            foreach (var r in ReadAll(bootstrap, topics.TaskEvents))
                if (!TaskEvent.Parse(r.Message.Value ?? []).IsValid) expectedDead.Add((r.Topic, r.Partition.Value, r.Offset.Value));
        if (consumedTopics.Contains(topics.ChangedUsers))
            foreach (var r in ReadAll(bootstrap, topics.ChangedUsers))
                if (!ChangedUser.Parse(r.Message.Value ?? []).IsValid) expectedDead.Add((r.Topic, r.Partition.Value, r.Offset.Value));

        var users = windows.Keys.ToList();
        var store = new WindowStore(redis, new RedisKeys(keyPrefix));
        var actual = await store.ReadManyAsync(users).ConfigureAwait(false);
        long expectedEntries = 0, entries = 0, lost = 0, duplicated = 0, unexpected = 0, wrong = 0;
        var details = new List<string>();
        static string Show(IEnumerable<(long Ts, string Item)> w) => string.Join(" ", w.Select(e => $"{e.Ts}:{e.Item}"));
        for (int u = 0; u < users.Count; u++)
        {
            var want = windows[users[u]].OrderBy(e => e.Ts).ThenBy(e => e.Partition).ThenBy(e => e.Offset)
                .TakeLast(windowSize).Select(e => (e.Ts, e.Item)).ToList();
            var got = actual[u].Select(e => (e.Ts, e.Item)).ToList();
            expectedEntries += want.Count;
            entries += got.Count;
            if (!want.SequenceEqual(got))
            {
                wrong++;
                if (details.Count < MaxDetails)
                {
                    var all = windows[users[u]].OrderBy(e => e.Ts).ThenBy(e => e.Partition).ThenBy(e => e.Offset);
                    details.Add($"window {users[u]}: want [{Show(want)}]\n  got  [{Show(got)}]\n  clicks on the topic (ts:item@partition/offset): "
                        + string.Join(" ", all.TakeLast(windowSize + 5).Select(e => $"{e.Ts}:{e.Item}@{e.Partition}/{e.Offset}")));
                }
            }
            var wantSet = want.ToHashSet();
            var seen = new HashSet<(long, string)>();
            foreach (var g in got)
            {
                if (!wantSet.Contains(g)) unexpected++;
                else if (!seen.Add(g)) duplicated++;
            }
            lost += want.Count(w => !seen.Contains(w));
        }

        var dead = ReadAll(bootstrap, topics.DeadLetter).Select(d => (
            DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.SourceTopic) ?? "",
            int.Parse(DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.Partition) ?? "-1"),
            long.Parse(DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.Offset) ?? "-1"))).ToList();
        var distinct = dead.ToHashSet();
        details.AddRange(expectedDead.Where(e => !distinct.Contains(e)).Take(MaxDetails).Select(e => $"dead letter missing for {e}"));
        details.AddRange(distinct.Where(d => !expectedDead.Contains(d)).Take(MaxDetails).Select(d => $"dead letter not expected: {d}"));
        return new AuditResult(valid, users.Count, expectedEntries, entries, lost, duplicated, unexpected, wrong,
            expectedDead.Count, dead.Count, distinct.Count, expectedDead.Count(e => !distinct.Contains(e)), distinct.Count(d => !expectedDead.Contains(d)))
        { Details = details };
    }

    /// <summary>Every record of <paramref name="topic"/> up to the high watermarks of now, without a consumer group.</summary>
    public static List<ConsumeResult<string, byte[]>> ReadAll(string bootstrap, string topic)
    {
        using var admin = KafkaClientFactory.Instance.CreateAdmin(new AdminClientConfig { BootstrapServers = bootstrap });
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(p => p.PartitionId).ToList();
        using var consumer = KafkaClientFactory.Instance.CreateReader(new ConsumerConfig
        {
            BootstrapServers = bootstrap, GroupId = $"chaos-audit-{Guid.NewGuid():N}", EnableAutoCommit = false, EnableAutoOffsetStore = false,
        });
        var high = new Dictionary<int, long>();
        var assign = new List<TopicPartitionOffset>();
        foreach (var p in partitions)
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            if (w.High.Value > w.Low.Value) { high[p] = w.High.Value; assign.Add(new TopicPartitionOffset(topic, p, w.Low)); }
        }
        var results = new List<ConsumeResult<string, byte[]>>();
        if (assign.Count == 0) return results;
        consumer.Assign(assign);
        var done = new HashSet<int>();
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (done.Count < high.Count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"reading {topic} to its end took over 2 minutes");
            var r = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (r is null || r.IsPartitionEOF || r.Message is null) continue;
            if (r.Offset.Value < high[r.Partition.Value]) results.Add(r);
            if (r.Offset.Value + 1 >= high[r.Partition.Value]) done.Add(r.Partition.Value);
        }
        return results;
    }
}
