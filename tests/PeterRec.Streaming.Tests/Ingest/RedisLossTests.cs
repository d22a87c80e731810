using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Ingest.Recovery;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;
using StackExchange.Redis;

namespace PeterRec.Streaming.Tests.Ingest;

/// <summary>A Redis that restarts empty mid-stream: Ingest notices, rebuilds every window from the clicks topic, exactly once.</summary>
public sealed class RedisLossTests
{
    private const long T0 = 1_700_000_000_000;

    [Theory]
    [MemberData(nameof(GroupProtocols.Both), MemberType = typeof(GroupProtocols))]
    public async Task An_empty_redis_restart_mid_stream_is_noticed_and_every_window_is_rebuilt_exactly_once(string protocol)
    {
        using var kafka = new TestKafka(partitions: 2);
        var redis = LocalRedisServer.Start();
        var port = redis.Port;
        try
        {
            const int windowSize = 5;
            await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, "loss", windowSize, protocol: protocol,
                extra: new Dictionary<string, string?> { ["Ingest:RedisCheckSeconds"] = "1" });
            // u0..u19 click 6 times before the restart and twice after; u20..u29 only before (only a rebuild restores them).
            List<ClickEvent> Clicks(int fromUser, int toUser, int from, int to) =>
                [.. Enumerable.Range(from, to - from).SelectMany(i => Enumerable.Range(fromUser, toUser - fromUser).Select(u => new ClickEvent($"u{u}", $"i{i}", T0 + i)))];
            await kafka.ProduceClicksAsync(Clicks(0, 30, 0, 6));
            await ingest.WaitForProcessedAsync(180);

            var guard = ingest.App.Services.GetRequiredService<RedisLossGuard>();
            var rebuildsBefore = guard.Rebuilds;
            redis.Dispose();
            redis = LocalRedisServer.Start(port: port);
            await kafka.ProduceClicksAsync(Clicks(0, 20, 6, 8));

            using var check = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
            var store = new WindowStore(check, new RedisKeys("loss"));
            string Show(IEnumerable<WindowEntry> w) => string.Join(",", w.Select(e => e.Item));
            var want = Enumerable.Range(0, 30).ToDictionary(u => $"u{u}", u => string.Join(",", Enumerable.Range(0, u < 20 ? 8 : 6).TakeLast(windowSize).Select(i => $"i{i}")));
            var got = new Dictionary<string, string>();
            await Eventually.Async(async () =>
            {
                foreach (var (user, window) in want) got[user] = Show(await store.ReadAsync(user));
                return want.All(kv => got[kv.Key] == kv.Value);
            }, TimeSpan.FromSeconds(60), () => string.Join("; ", want.Where(kv => got.GetValueOrDefault(kv.Key) != kv.Value).Take(5)
                .Select(kv => $"{kv.Key}: want [{kv.Value}] got [{got.GetValueOrDefault(kv.Key)}]")));

            Assert.True(guard.Rebuilds > rebuildsBefore, "the loss was not noticed");
            var health = ingest.App.Services.GetRequiredService<HealthCheckService>();
            await Eventually.Async(async () => (await health.CheckHealthAsync()).Status == HealthStatus.Healthy, TimeSpan.FromSeconds(30),
                () => "Ingest did not become ready again");
            // Nothing was applied twice: a second look after more checks finds the same windows.
            await Task.Delay(2500);
            foreach (var (user, window) in want) Assert.Equal(window, Show(await store.ReadAsync(user)));
        }
        finally
        {
            redis.Dispose();
        }
    }
}
