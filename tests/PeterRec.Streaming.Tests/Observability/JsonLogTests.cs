using System.Globalization;
using System.Text.Json;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Orchestration;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Observability;

/// <summary><c>Logging:Format=json</c>: a role's whole output is one JSON object per line with a full UTC timestamp;
/// without it the output stays human-readable lines.</summary>
[Collection(StreamingCollection.Name)]
public sealed class JsonLogTests(RedisFixture redis) : IDisposable
{
    private readonly TestKafka _kafka = new(partitions: 1);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-jsonlog-{Guid.NewGuid():N}");

    [Fact]
    public async Task With_the_json_format_every_line_a_role_writes_is_a_json_object_with_a_utc_timestamp()
    {
        var lines = await RunIngestAsync("json", new() { ["PETERREC_Logging__Format"] = "json" });
        Assert.True(lines.Count >= 5, $"only {lines.Count} lines:\n{string.Join("\n", lines)}");
        var startedAt = DateTimeOffset.UtcNow.AddMinutes(-10);
        foreach (var line in lines)
        {
            using var doc = ParseOrFail(line);
            var root = doc.RootElement;
            Assert.Equal(JsonValueKind.Object, root.ValueKind);
            var ts = root.GetProperty("Timestamp").GetString()!;
            Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", ts);
            Assert.InRange(DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture), startedAt, DateTimeOffset.UtcNow.AddMinutes(1));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("LogLevel").GetString()));
            Assert.False(string.IsNullOrEmpty(root.GetProperty("Category").GetString()));
            Assert.True(root.TryGetProperty("Message", out _), line);
        }
        // Structured fields travel as fields, not only inside the message.
        Assert.Contains(lines, l => l.Contains("\"State\":{", StringComparison.Ordinal) && l.Contains("PeterRec.Redis", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_the_json_format_librdkafka_complaints_about_an_unreachable_broker_are_json_lines_too()
    {
        var deadBroker = $"127.0.0.1:{LoopbackPort.Free()}";
        using var role = RoleProcess.Start("json-broker-down", ["ingest", "--kafka", deadBroker, "--redis", redis.Configuration, "--key-prefix", RedisFixture.UniquePrefix()],
            _dir, LoopbackPort.Free(), new Dictionary<string, string> { ["PETERREC_Logging__Format"] = "json" });
        // Both the consumer's and the producer's clients fail to connect and say so.
        await Eventually.Async(() => Task.FromResult(File.ReadAllText(role.LogPath) is var log
            && log.Contains("\"Consumer ingest: Local_Transport", StringComparison.Ordinal) && log.Contains("\"Producer: Local_Transport", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(60), () => role.Tail());
        await role.StopAsync(TimeSpan.FromSeconds(10));
        var lines = File.ReadAllLines(role.LogPath).Skip(1).Where(l => l.Length > 0).ToList();
        Assert.All(lines, l => ParseOrFail(l).Dispose());
    }

    [Fact]
    public async Task By_default_a_role_writes_human_readable_lines()
    {
        var lines = await RunIngestAsync("text", []);
        Assert.Contains(lines, l => l.Contains(" info: PeterRec.", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith('{'));
    }

    /// <summary>Runs Ingest until a click is in its window, stops it, and returns its output lines (the harness's
    /// own header line left out).</summary>
    private async Task<List<string>> RunIngestAsync(string name, Dictionary<string, string> env)
    {
        var prefix = RedisFixture.UniquePrefix();
        env["PETERREC_Ingest__GroupId"] = $"g-{name}-{Guid.NewGuid():N}";
        using var role = RoleProcess.Start(name, ["ingest", "--kafka", _kafka.Bootstrap, "--redis", redis.Configuration, "--key-prefix", prefix],
            _dir, LoopbackPort.Free(), env);
        var window = new RedisKeys(prefix).Window("json-user");
        await Eventually.Async(async () =>
        {
            Assert.False(role.HasExited, role.Tail());
            await _kafka.ProduceClicksAsync([new ClickEvent("json-user", "i1", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())]);
            return await redis.Connection.GetDatabase().ListLengthAsync(window) > 0;
        }, TimeSpan.FromSeconds(60), () => role.Tail());
        await role.StopAsync(TimeSpan.FromSeconds(10));
        return [.. File.ReadAllLines(role.LogPath).Skip(1).Where(l => l.Length > 0)];
    }

    private static JsonDocument ParseOrFail(string line)
    {
        try { return JsonDocument.Parse(line); }
        catch (JsonException e) { throw new Xunit.Sdk.XunitException($"not a JSON line ({e.Message}): {line}"); }
    }

    public void Dispose()
    {
        _kafka.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
