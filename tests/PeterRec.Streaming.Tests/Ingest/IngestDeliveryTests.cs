using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Hosting;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.DevBroker;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Ingest;

/// <summary>At-least-once delivery with idempotent windows: redelivery, restarts, dead letters, announcements.</summary>
[Collection(StreamingCollection.Name)]
public class IngestDeliveryTests(RedisFixture redis)
{
    private const long T0 = 1_700_000_000_000;

    private static List<ClickEvent> Clicks(int users, int perUser, int from = 0) =>
        [.. Enumerable.Range(from, perUser).SelectMany(i => Enumerable.Range(0, users).Select(u => new ClickEvent($"u{u}", $"i{i}", T0 + i)))];

    private async Task AssertWindowsAsync(string prefix, int users, int perUser)
    {
        var store = new WindowStore(redis.Connection, new RedisKeys(prefix));
        for (var u = 0; u < users; u++)
        {
            var window = await store.ReadAsync($"u{u}");
            Assert.Equal(Enumerable.Range(0, perUser).Select(i => $"i{i}"), window.Select(e => e.Item));
        }
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Replaying_the_same_offsets_never_duplicates_a_window_entry(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        await kafka.ProduceClicksAsync(Clicks(users: 20, perUser: 10));
        await using (var first = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, group: "g1", protocol: protocol))
            await first.WaitForProcessedAsync(200);
        await AssertWindowsAsync(prefix, 20, 10);

        // A new group starts from the earliest offset: every click is delivered a second time.
        await using (var replay = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, group: "g2", protocol: protocol))
            await replay.WaitForProcessedAsync(200);
        await AssertWindowsAsync(prefix, 20, 10);
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_restart_resumes_from_committed_offsets_with_nothing_lost_or_duplicated(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        await kafka.ProduceClicksAsync(Clicks(users: 10, perUser: 6));
        await using (var first = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol))
            await first.WaitForProcessedAsync(60);

        await kafka.ProduceClicksAsync(Clicks(users: 10, perUser: 6, from: 6));
        await using var second = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol);
        await second.WaitForProcessedAsync(60);
        await AssertWindowsAsync(prefix, 10, 12);
        // It resumed at the commit: the first half was not consumed again.
        await Task.Delay(200);
        Assert.Equal(60, second.Consumer.ProcessedRecords);
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_batch_whose_announcement_fails_after_the_redis_write_is_retried_without_duplicates(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        var clicks = Clicks(users: 5, perUser: 4);
        await kafka.ProduceClicksAsync(clicks);
        // The next produce requests, which are Ingest's changed-user announcements, fail permanently: the first
        // attempts write the windows, then fail before any offset is stored, and are consumed again.
        kafka.Cluster.PushRequestErrors(KafkaApiKey.Produce, Enumerable.Repeat(Confluent.Kafka.ErrorCode.TopicAuthorizationFailed, 2).ToArray());
        long redelivered = 0;
        using var listener = new MeterListener();
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol,
            extra: new Dictionary<string, string?> { ["Ingest:MaxBatchDelayMs"] = "200" });
        var meter = ingest.App.Services.GetRequiredService<PeterRecMetrics>().Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "peterrec.ingest.events") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag is { Key: "outcome", Value: "redelivered" }) Interlocked.Add(ref redelivered, value);
        });
        listener.Start();

        await ingest.WaitForProcessedAsync(clicks.Count);
        await AssertWindowsAsync(prefix, 5, 4);
        Assert.True(Interlocked.Read(ref redelivered) > 0, "the failed batch was not consumed a second time");
        Assert.Equal(5, kafka.ReadTopic(kafka.Topics.ChangedUsers, 5).Select(r => r.Message.Key).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Malformed_records_go_to_the_dead_letter_topic_with_their_reason_and_the_stream_goes_on(string protocol)
    {
        using var kafka = new TestKafka(partitions: 1);
        var prefix = RedisFixture.UniquePrefix();
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol);
        await kafka.ProduceClicksAsync([new ClickEvent("u", "before", T0)]);
        await kafka.ProduceRawAsync("u", Encoding.UTF8.GetBytes("{not json"));
        await kafka.ProduceRawAsync("u", Encoding.UTF8.GetBytes("""{"user":"u","item":"x"}"""));
        await kafka.ProduceClicksAsync([new ClickEvent("u", "after", T0 + 1)]);
        await ingest.WaitForProcessedAsync(4);

        var store = new WindowStore(redis.Connection, new RedisKeys(prefix));
        Assert.Equal(["before", "after"], (await store.ReadAsync("u")).Select(e => e.Item));
        var dead = kafka.ReadTopic(kafka.Topics.DeadLetter, 2);
        Assert.Equal(2, dead.Count);
        var byOffset = dead.OrderBy(d => long.Parse(DeadLetters.Header(d.Message.Headers, DeadLetterHeaders.Offset)!)).ToList();
        Assert.Equal("{not json", Encoding.UTF8.GetString(byOffset[0].Message.Value));
        Assert.StartsWith("malformed_json:", DeadLetters.Header(byOffset[0].Message.Headers, DeadLetterHeaders.Reason));
        Assert.Equal("missing_field: field 'ts' is required", DeadLetters.Header(byOffset[1].Message.Headers, DeadLetterHeaders.Reason));
        Assert.Equal(kafka.Topics.Clicks, DeadLetters.Header(byOffset[1].Message.Headers, DeadLetterHeaders.SourceTopic));
        Assert.Equal("0", DeadLetters.Header(byOffset[1].Message.Headers, DeadLetterHeaders.Partition));
        Assert.Equal("2", DeadLetters.Header(byOffset[1].Message.Headers, DeadLetterHeaders.Offset));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Changed_users_are_announced_only_after_their_window_is_written(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        var clicks = Clicks(users: 30, perUser: 3);
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol);
        var store = new WindowStore(redis.Connection, new RedisKeys(prefix));
        var seen = new HashSet<string>();
        var violations = new List<string>();
        // The reader runs while clicks flow and checks Redis the moment each announcement arrives.
        var reader = Task.Run(() => kafka.ReadTopic(kafka.Topics.ChangedUsers, 30, onRecord: record =>
        {
            var changed = ChangedUser.Parse(record.Message.Value).Value!;
            var window = store.ReadAsync(changed.User).GetAwaiter().GetResult();
            if (record.Message.Key != changed.User || !window.Any(e => e.Ts == changed.Ts))
                violations.Add($"{changed.User}@{changed.Ts}: window [{string.Join(",", window)}]");
            seen.Add(changed.User);
        }));
        await kafka.ProduceClicksAsync(clicks);
        await reader;
        Assert.Empty(violations);
        Assert.Equal(clicks.Select(c => c.User).ToHashSet(), seen);
    }
}
