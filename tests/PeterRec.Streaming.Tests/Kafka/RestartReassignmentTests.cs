using System.Diagnostics;
using System.Net;
using Xunit.Abstractions;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Orchestration;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Kafka;

/// <summary>
/// A member killed with kill -9 (no leave, no commit on close) gives its partitions back to its successor on either
/// group protocol, with or without static membership, and no click is lost. Prints how long the partitions took to
/// come back: a measurement for the runbook, never asserted (the dev broker is librdkafka's mock, see docs/runbook.md).
/// </summary>
[Collection(StreamingCollection.Name)]
public sealed class RestartReassignmentTests(RedisFixture redis, ITestOutputHelper output)
{
    /// <summary>Short, so four cases stay within ~10 s each; the chart keeps librdkafka's 45 s.</summary>
    private const int SessionTimeoutMs = 3000;

    [Theory]
    [InlineData("classic", false)]
    [InlineData("classic", true)]
    [InlineData("consumer", false)]
    [InlineData("consumer", true)]
    public async Task A_member_killed_with_kill_9_has_its_partitions_reassigned_and_no_click_is_lost(string protocol, bool staticMembership)
    {
        using var kafka = new TestKafka(partitions: 4);
        kafka.Cluster.SetConsumerGroupSessionTimeout(TimeSpan.FromMilliseconds(SessionTimeoutMs));
        var prefix = RedisFixture.UniquePrefix();
        var settings = new Dictionary<string, string?> { ["Kafka:GroupProtocol"] = protocol };
        if (protocol == "classic")
        {
            settings["Kafka:Config:session.timeout.ms"] = $"{SessionTimeoutMs}";
            settings["Kafka:Config:heartbeat.interval.ms"] = "1000";
        }
        if (staticMembership) settings["Kafka:GroupInstanceId"] = "ingest-0";
        var dir = Path.Combine(Path.GetTempPath(), $"peterrec-kill9-{Guid.NewGuid():N}");
        var store = new WindowStore(redis.Connection, new RedisKeys(prefix));
        try
        {
            using (var first = RoleProcess.Start("ingest", ["ingest", "--kafka", kafka.Bootstrap, "--redis", redis.Configuration, "--key-prefix", prefix],
                dir, LoopbackPort.Free(), settings.Append(KeyValuePair.Create("Ingest:GroupId", (string?)"g"))
                    .ToDictionary(kv => "PETERREC_" + kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value!)))
            {
                using var http = new HttpClient();
                await Eventually.Async(async () =>
                {
                    try { return (await http.GetAsync($"http://127.0.0.1:{first.HttpPort}/readyz")).StatusCode == HttpStatusCode.OK; }
                    catch (HttpRequestException) { return false; }
                }, TimeSpan.FromSeconds(60), () => first.Tail());
                await kafka.ProduceClicksAsync([new ClickEvent("u", "before", 1_700_000_000_000)]);
                await Eventually.Async(async () => (await store.ReadAsync("u")).Count == 1, TimeSpan.FromSeconds(30), () => first.Tail());
                Process.GetProcessById(first.Pid).Kill(); // SIGKILL: no LeaveGroup, no final commit
                await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            var killed = Stopwatch.StartNew();
            await kafka.ProduceClicksAsync([new ClickEvent("u", "after", 1_700_000_000_001)]);
            await using var successor = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix, group: "g", protocol: protocol, extra: settings);
            await Eventually.Async(() => Task.FromResult(successor.Consumer.Assignment.Count == 4), TimeSpan.FromSeconds(60),
                () => $"{successor.Consumer.Assignment.Count} of 4 partitions after {killed.Elapsed.TotalSeconds:F1} s");
            var back = killed.Elapsed;
            await Eventually.Async(async () => (await store.ReadAsync("u")).Select(e => e.Item).SequenceEqual(["before", "after"]), TimeSpan.FromSeconds(30));
            output.WriteLine($"{protocol}, static membership {(staticMembership ? "on" : "off")}: partitions back {back.TotalSeconds:F1} s after kill -9 " +
                $"(session timeout {SessionTimeoutMs / 1000.0:F0} s, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
