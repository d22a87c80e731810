using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using PeterRec.Contracts;
using PeterRec.Hosting;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Ingest.Windows;
using PeterRec.Ingest.Recovery;

namespace PeterRec.Ingest.Pipeline;

/// <summary>
/// One micro-batch of clicks: parse (bad records to the dead-letter topic), apply to the user windows in Redis
/// (atomic and idempotent per user), announce the users on the changed-users topic, and return only when all of
/// that is durable, so that the consume loop may then store the offsets.
/// </summary>
/// <remarks>
/// Every user of the batch is announced, even when the clicks were redeliveries: the earlier attempt may have
/// crashed between the Redis write and the announcement, and announcing twice is harmless. A user whose clicks in
/// the batch were all too late for the window (dropped) is not announced: nothing changed.
/// </remarks>
public sealed class ClickBatchHandler(
    WindowWriter windows,
    IngestProducer producer,
    DeadLetterSink deadLetters,
    IOptions<IngestOptions> ingestOptions,
    IOptions<RedisOptions> redisOptions,
    IOptions<TopicOptions> topics,
    [FromKeyedServices(RedisServiceCollectionExtensions.RedisWritePipelineKey)] ResiliencePipeline redisRetry,
    RedisLossGuard guard,
    IngestMetrics metrics,
    PeterRecMetrics shared)
{
    public async Task HandleAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        var deliveries = new List<Task>();
        var byUser = new Dictionary<string, List<PositionedClick>>(StringComparer.Ordinal);
        var produced = new Dictionary<string, long>(StringComparer.Ordinal); // newest click record's Kafka timestamp per user
        var skew = ingestOptions.Value.MaxFutureSkewSeconds;
        var latest = skew > 0 ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + skew * 1000L : long.MaxValue;
        foreach (var record in batch)
        {
            var parsed = ClickEvent.Parse(record.Message.Value ?? []);
            if (parsed.IsValid && parsed.Value!.Ts > latest)
                parsed = ParseResult<ClickEvent>.Fail(DeadLetterReason.TimestampOutOfRange,
                    $"field 'ts' = {parsed.Value.Ts} is more than {skew} s ahead of the ingest clock");
            if (!parsed.IsValid)
            {
                metrics.DeadLetter(parsed.Reason.ToKind());
                deliveries.Add(deadLetters.ProduceAsync(record, parsed.Reason, parsed.Detail!, ct));
                continue;
            }
            var click = parsed.Value!;
            if (!byUser.TryGetValue(click.User, out var clicks)) byUser[click.User] = clicks = [];
            clicks.Add(new PositionedClick(click.Item, click.Ts, record.Partition.Value, record.Offset.Value));
            if (record.Message.Timestamp.Type != TimestampType.NotAvailable)
                produced[click.User] = Math.Max(produced.GetValueOrDefault(click.User), record.Message.Timestamp.UnixTimestampMs);
        }
        var announced = 0;

        if (byUser.Count > 0)
        {
            var partitions = batch.Select(r => r.Partition.Value).ToHashSet();
            var result = await redisRetry.ExecuteAsync(
                async token => await guard.ApplyAsync(partitions, byUser.Keys,
                    () => windows.ApplyAsync(byUser, ingestOptions.Value.WindowSize, redisOptions.Value.WindowTtlSeconds), token).ConfigureAwait(false),
                ct).ConfigureAwait(false);
            metrics.Record(result);
            // Only now, with the windows durable, may anyone be told they changed; the ts is the window's newest click,
            // so a late click can never make the announced (and served) click time go backwards.
            announced = result.Announce.Count;
            var durable = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var (user, ts) in result.Announce)
            {
                long? stamp = produced.TryGetValue(user, out var p) ? p : null;
                if (stamp is { } producedMs) metrics.ClickToWindow((durable - producedMs) / 1000.0);
                deliveries.Add(AnnounceAsync(new ChangedUser(user, ts, stamp, stamp is null ? null : durable), durable, ct));
            }
        }

        try
        {
            await Task.WhenAll(deliveries).ConfigureAwait(false);
        }
        catch (KafkaException e)
        {
            shared.RecordError("ingest", "produce");
            throw new InvalidOperationException($"delivery to Kafka failed ({e.Error.Code}: {e.Error.Reason}); the batch will be retried", e);
        }
        metrics.ChangedUsers(announced);
    }

    private async Task AnnounceAsync(ChangedUser user, long durableMs, CancellationToken ct)
    {
        await producer.Producer.ProduceAsync(topics.Value.ChangedUsers,
            new Message<string, byte[]> { Key = user.User, Value = user.ToJson() }, ct).ConfigureAwait(false);
        metrics.Announced((DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - durableMs) / 1000.0);
    }
}
