using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using PeterRec.Hosting;
using PeterRec.Redis;
using StackExchange.Redis;

namespace PeterRec.Streaming.Tests.Observability;

/// <summary>The Redis write pipeline measures every attempt and counts errors by kind and retries.</summary>
public sealed class RedisMetricsTests
{
    [Fact]
    public async Task Failed_attempts_are_counted_by_kind_and_every_retry_and_attempt_is_measured()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var shared = new PeterRecMetrics(services.GetRequiredService<IMeterFactory>());
        var metrics = new RedisMetrics(shared);
        var seen = new List<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        // Only this test's meter: roles started in-process by other tests publish instruments of the same name.
        listener.InstrumentPublished = (i, l) => { if (ReferenceEquals(i.Meter, shared.Meter)) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => { lock (seen) seen.Add((i.Name, v, Tags(tags))); });
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => { lock (seen) seen.Add((i.Name, v, Tags(tags))); });
        listener.Start();

        var pipeline = RedisResilience.CreateWritePipeline(new RedisOptions { MaxRetryAttempts = 3, RetryBaseDelayMs = 1 }, NullLogger.Instance, metrics);
        var calls = 0;
        await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            if (calls == 1) throw new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "down", null, CommandStatus.Unknown);
            if (calls == 2) throw new RedisTimeoutException(CommandFlags.None, "slow", CommandStatus.Sent);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(3, calls);
        double Sum(string name, Func<Dictionary<string, object?>, bool>? where = null) =>
            seen.Where(s => s.Instrument == name && (where?.Invoke(s.Tags) ?? true)).Sum(s => s.Value);
        Assert.Equal(1, Sum("peterrec.redis.command.errors", t => (string?)t["kind"] == "connection"));
        Assert.Equal(1, Sum("peterrec.redis.command.errors", t => (string?)t["kind"] == "timeout"));
        Assert.Equal(0, Sum("peterrec.redis.command.errors", t => (string?)t["kind"] == "server"));
        Assert.Equal(2, Sum("peterrec.redis.command.retries"));
        var attempts = seen.Where(s => s.Instrument == "peterrec.redis.command.duration").ToList();
        Assert.Equal(["error", "error", "ok"], attempts.Select(a => (string?)a.Tags["outcome"]));
        Assert.All(attempts, a => Assert.Equal("write", a.Tags["operation"]));
        Assert.All(attempts, a => Assert.InRange(a.Value, 0, 10));
    }

    private static Dictionary<string, object?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var d = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var t in tags) d[t.Key] = t.Value;
        return d;
    }
}
