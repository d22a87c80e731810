using System.Diagnostics;
using System.Text;
using System.Text.Json;
using PeterRec.Contracts;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Ingest;

/// <summary>
/// Clicks written by a Kafka client that is not ours (Debian's <c>kcat</c>, installed by .ci/run) become the same
/// windows as our producer's, and kcat's poison is dead-lettered once each with its reason, read back with kcat.
/// </summary>
[Collection(StreamingCollection.Name)]
public sealed class KcatConformanceTests(RedisFixture redis)
{
    private const long T0 = 1_700_000_000_000;
    private const byte KeyEnd = 0x1f, RecordEnd = 0x1e; // kcat -K '\x1f' -D '\x1e': values may hold newlines and any byte

    private static byte[] U(string s) => Encoding.UTF8.GetBytes(s);

    private static byte[] Click(string user, string item, long ts) => new ClickEvent(user, item, ts).ToJson();

    [Fact]
    public async Task Clicks_and_poison_from_kcat_become_the_same_windows_and_one_dead_letter_each_with_its_reason()
    {
        using var kafka = new TestKafka(partitions: 1);
        var prefix = RedisFixture.UniquePrefix();
        // (key or null for none, value, expected dead-letter reason or null for a good click), in partition order.
        var records = new List<(byte[]? Key, byte[] Value, string? Reason)>();
        string[] users = ["plain", "a{b}", "}{", "50%off", "%s%n%d", "ünï", "nokey", "badkey"];
        for (var i = 0; i < 3; i++)
            foreach (var user in users)
            {
                byte[]? key = user switch { "nokey" => null, "badkey" => [0xff, 0xfe, 0x00], _ => U(user) };
                records.Add((key, Click(user, $"i{i}", T0 + i), null));
            }
        records.Add((U("x"), U("{not json"), "malformed_json"));
        records.Add((U("x"), U($$"""{"user":"big","item":"{{new string('i', 1024 * 1024)}}","ts":{{T0}}}"""), "invalid_string")); // 1 MiB
        records.Add((null, U("""{"user":"nokey-poison","item":"i"}"""), "missing_field"));
        records.Add(([0xc3, 0x28], [0xff, 0xfe, 0x7b, 0x7d], "malformed_json"));                                    // non-UTF-8 key and value
        records.Add((U("nl"), U($$"""{"user":"a\nb","item":"i","ts":{{T0}}}"""), "invalid_string"));             // escaped newline in an id
        records.Add((U("nl"), U($"{{\"user\":\"a\nb\",\"item\":\"i\",\"ts\":{T0}}}"), "malformed_json"));         // raw newline in JSON
        records.Add((U("%{}"), U($$"""{"user":"x%{}","item":"\u0007","ts":{{T0}}}"""), "invalid_string"));        // control character

        var stdin = new MemoryStream();
        foreach (var (key, value, _) in records)
        {
            if (key is not null) { stdin.Write(key); stdin.WriteByte(KeyEnd); }
            stdin.Write(value);
            stdin.WriteByte(RecordEnd);
        }
        // librdkafka's default message.max.bytes (1000000) is below the 1 MiB record; the dev broker accepts it.
        await Kcat(["-P", "-b", kafka.Bootstrap, "-t", kafka.Topics.Clicks, "-p", "0", "-K", "\\x1f", "-D", "\\x1e", "-X", "message.max.bytes=2000000"], stdin.ToArray());

        await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, redis.Configuration, prefix);
        await ingest.WaitForProcessedAsync(records.Count, TimeSpan.FromSeconds(60));

        var store = new WindowStore(redis.Connection, new RedisKeys(prefix));
        foreach (var user in users)
            Assert.Equal(["i0", "i1", "i2"], (await store.ReadAsync(user)).Select(e => e.Item));

        var poison = records.Select((r, offset) => (r.Reason, Offset: (long)offset)).Where(r => r.Reason is not null).ToList();
        var dump = await Kcat(["-C", "-b", kafka.Bootstrap, "-t", kafka.Topics.DeadLetter, "-o", "beginning", "-e", "-J", "-q"], []);
        var dead = dump.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => Headers(JsonDocument.Parse(line).RootElement)).ToList();
        Assert.Equal(poison.Count, dead.Count); // once each
        foreach (var (reason, offset) in poison)
        {
            var letter = Assert.Single(dead, d => d[DeadLetterHeaders.Offset] == $"{offset}");
            Assert.StartsWith(reason + ": ", letter[DeadLetterHeaders.Reason]);
            Assert.Equal(kafka.Topics.Clicks, letter[DeadLetterHeaders.SourceTopic]);
        }
    }

    /// <summary>kcat -J prints headers as a flat ["name", "value", ...] array.</summary>
    private static Dictionary<string, string> Headers(JsonElement record)
    {
        var list = record.GetProperty("headers").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        return Enumerable.Range(0, list.Count / 2).ToDictionary(i => list[2 * i], i => list[2 * i + 1]);
    }

    private static async Task<string> Kcat(string[] args, byte[] stdin)
    {
        var psi = new ProcessStartInfo("kcat") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("kcat did not start (apt-get install kcat; .ci/run does)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"kcat {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
