using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.Hosting;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Ingest;

[Collection(StreamingCollection.Name)]
public class IngestWindowTests(RedisFixture redis)
{
    private const long T0 = 1_700_000_000_000;

    private WindowStore Store(string prefix) => new(redis.Connection, new RedisKeys(prefix));

    private static string[] Items(IReadOnlyList<WindowEntry> window) => [.. window.Select(e => e.Item)];

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Clicks_become_windows_of_the_last_n_in_event_time_order(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, windowSize: 5, protocol: protocol);

        await kafka.ProduceClicksAsync(Enumerable.Range(0, 8).Select(i => new ClickEvent("alice", $"a{i}", T0 + i * 10)));
        await kafka.ProduceClicksAsync([new ClickEvent("bob", "b0", T0), new ClickEvent("bob", "b1", T0 + 5)]);
        await ingest.WaitForProcessedAsync(10);

        var alice = await Store(prefix).ReadAsync("alice");
        Assert.Equal(["a3", "a4", "a5", "a6", "a7"], Items(alice));
        Assert.Equal([T0 + 30, T0 + 40, T0 + 50, T0 + 60, T0 + 70], alice.Select(e => e.Ts));
        Assert.Equal(["b0", "b1"], Items(await Store(prefix).ReadAsync("bob")));
        Assert.Empty(await Store(prefix).ReadAsync("carol"));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Out_of_order_clicks_are_sorted_in_and_clicks_older_than_a_full_window_are_dropped(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, windowSize: 3, protocol: protocol);

        await kafka.ProduceClicksAsync([new ClickEvent("u", "t10", T0 + 10), new ClickEvent("u", "t30", T0 + 30)]);
        await ingest.WaitForProcessedAsync(2);
        // Late but within the window: sorted in. Equal ts: the earlier arrival stays first.
        await kafka.ProduceClicksAsync([new ClickEvent("u", "t20", T0 + 20), new ClickEvent("u", "t30b", T0 + 30)]);
        await ingest.WaitForProcessedAsync(4);
        Assert.Equal(["t20", "t30", "t30b"], Items(await Store(prefix).ReadAsync("u")));
        // Older than everything in a full window: dropped.
        await kafka.ProduceClicksAsync([new ClickEvent("u", "t5", T0 + 5)]);
        await ingest.WaitForProcessedAsync(5);
        Assert.Equal(["t20", "t30", "t30b"], Items(await Store(prefix).ReadAsync("u")));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task A_click_older_than_the_whole_window_is_counted_as_dropped_late_and_never_announced(string protocol)
    {
        using var kafka = new TestKafka(partitions: 1);
        var prefix = RedisFixture.UniquePrefix();
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, windowSize: 3, protocol: protocol);
        var outcomes = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        var meter = ingest.App.Services.GetRequiredService<PeterRecMetrics>().Meter;
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter && instrument.Name == "peterrec.ingest.events") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "outcome") outcomes.AddOrUpdate((string)tag.Value!, value, (_, v) => v + value);
        });
        listener.Start();

        await kafka.ProduceClicksAsync([new ClickEvent("u", "t10", T0 + 10), new ClickEvent("u", "t20", T0 + 20), new ClickEvent("u", "t30", T0 + 30)]);
        await ingest.WaitForProcessedAsync(3);
        await kafka.ProduceClicksAsync([new ClickEvent("u", "t5", T0 + 5)]);
        await ingest.WaitForProcessedAsync(4);
        await kafka.ProduceClicksAsync([new ClickEvent("u", "t40", T0 + 40)]);
        await ingest.WaitForProcessedAsync(5);

        Assert.Equal(["t20", "t30", "t40"], Items(await Store(prefix).ReadAsync("u")));
        var announced = new List<long>();
        kafka.ReadTopic(kafka.Topics.ChangedUsers, int.MaxValue, TimeSpan.FromSeconds(5),
            r => announced.Add(ChangedUser.Parse(r.Message.Value).Value!.Ts));
        Assert.DoesNotContain(T0 + 5, announced);
        Assert.Equal(T0 + 40, announced[^1]);
        Assert.Equal(announced.Order(), announced); // one partition: the announced click time never goes backwards
        Assert.Equal(4, outcomes.GetValueOrDefault("applied"));
        Assert.Equal(1, outcomes.GetValueOrDefault("dropped_late"));
        Assert.Equal(0, outcomes.GetValueOrDefault("redelivered"));
    }

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task Users_with_braces_in_their_ids_get_their_own_window(string protocol)
    {
        using var kafka = new TestKafka();
        var prefix = RedisFixture.UniquePrefix();
        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, protocol: protocol);
        await kafka.ProduceClicksAsync([new ClickEvent("a}b", "x", T0), new ClickEvent("a", "y", T0), new ClickEvent("a}b{", "z", T0)]);
        await ingest.WaitForProcessedAsync(3);
        Assert.Equal(["x"], Items(await Store(prefix).ReadAsync("a}b")));
        Assert.Equal(["y"], Items(await Store(prefix).ReadAsync("a")));
        Assert.Equal(["z"], Items(await Store(prefix).ReadAsync("a}b{")));
    }
}
