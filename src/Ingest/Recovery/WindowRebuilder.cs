using Confluent.Kafka;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Ingest.Windows;
using PeterRec.Kafka;
using PeterRec.Redis;

namespace PeterRec.Ingest.Recovery;

/// <summary>
/// Re-applies one clicks partition from <see cref="IngestOptions.RebuildHorizonSeconds"/> ago (Kafka's offsets for
/// that timestamp) up to its high watermark now, with the same idempotent window script, and announces the users.
/// </summary>
/// <remarks>
/// Exactly once per click: the script ignores a click at or below the user's applied offset for its partition, and the
/// rebuild applies each partition in offset order, while the consume loop waits (see <see cref="RedisLossGuard"/>); the
/// loop's later deliveries below the watermark are then redeliveries. Invalid records are skipped silently: they were
/// dead-lettered when first consumed.
/// </remarks>
public sealed class WindowRebuilder(
    KafkaClientConfigs kafka,
    WindowWriter windows,
    IngestProducer producer,
    IOptions<IngestOptions> ingestOptions,
    IOptions<RedisOptions> redisOptions,
    IOptions<TopicOptions> topics)
{
    private const int BatchSize = 5000;

    /// <summary>Returns the clicks applied (not counting those already in Redis).</summary>
    /// <param name="appliedHere">This process applied clicks of the partition (perhaps not committed yet).</param>
    public async Task<long> RebuildAsync(int partition, bool appliedHere, CancellationToken ct)
    {
        var o = ingestOptions.Value;
        var tp = new TopicPartition(topics.Value.Clicks, partition);
        // The group's own id, only to read its committed offset (the reader never subscribes, so it never joins).
        var config = kafka.CreateConsumerConfig(o.GroupId);
        config.EnableAutoCommit = false;
        using var reader = KafkaClientFactory.Instance.CreateReader(config);
        // A partition Ingest never consumed has no windows to lose: its first start needs no rebuild.
        if (!appliedHere && reader.Committed([tp], TimeSpan.FromSeconds(30)).Single().Offset.Value < 0) return 0;
        var since = DateTimeOffset.UtcNow.AddSeconds(-o.RebuildHorizonSeconds).ToUnixTimeMilliseconds();
        var start = reader.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(since, TimestampType.CreateTime))], TimeSpan.FromSeconds(30)).Single().Offset;
        var marks = reader.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(30));
        var end = marks.High.Value;
        if (end <= marks.Low.Value) return 0;
        if (start.Value < 0)
        {
            // No offset for the timestamp: either nothing is that new (Kafka) or the broker cannot look timestamps up
            // (librdkafka's mock cluster). The newest record tells which; if it is new enough, scan from the start and
            // filter by record timestamp.
            reader.Assign(new TopicPartitionOffset(tp, end - 1));
            var last = ConsumeOne(reader);
            if (last.Message.Timestamp.UnixTimestampMs < since) return 0;
            start = marks.Low;
        }
        if (start.Value >= end) return 0;
        reader.Assign(new TopicPartitionOffset(tp, start));
        long applied = 0;
        var next = start.Value;
        while (next < end)
        {
            ct.ThrowIfCancellationRequested();
            var byUser = new Dictionary<string, List<PositionedClick>>(StringComparer.Ordinal);
            for (var n = 0; n < BatchSize && next < end; n++)
            {
                var r = ConsumeOne(reader);
                next = r.Offset.Value + 1;
                if (r.Offset.Value >= end) break;
                if (r.Message.Timestamp.UnixTimestampMs < since) continue;
                var click = ClickEvent.Parse(r.Message.Value ?? []);
                if (!click.IsValid) continue;
                if (!byUser.TryGetValue(click.Value!.User, out var list)) byUser[click.Value.User] = list = [];
                list.Add(new PositionedClick(click.Value.Item, click.Value.Ts, partition, r.Offset.Value));
            }
            if (byUser.Count == 0) continue;
            var result = await windows.ApplyAsync(byUser, o.WindowSize, redisOptions.Value.WindowTtlSeconds).ConfigureAwait(false);
            applied += result.Applied;
            // Serving's recommendations were lost with the windows: tell it which users to score again.
            await Task.WhenAll(result.Announce.Select(kv => producer.Producer.ProduceAsync(topics.Value.ChangedUsers,
                new Message<string, byte[]> { Key = kv.Key, Value = new ChangedUser(kv.Key, kv.Value).ToJson() }, ct))).ConfigureAwait(false);
        }
        reader.Close();
        return applied;
    }

    private static ConsumeResult<string, byte[]> ConsumeOne(IConsumer<string, byte[]> reader)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
            if (reader.Consume(TimeSpan.FromSeconds(1)) is { Message: not null } r) return r;
        throw new TimeoutException($"rebuild: no record from {string.Join(",", reader.Assignment)} within 60 s");
    }
}
