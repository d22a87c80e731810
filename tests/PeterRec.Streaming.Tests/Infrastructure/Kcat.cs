using System.Diagnostics;
using System.Text.Json;
using PeterRec.Contracts;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>Debian's <c>kcat</c> (installed by .ci/run), a Kafka client that is not ours, as a producer and a reader.</summary>
public static class Kcat
{
    private const byte KeyEnd = 0x1f, RecordEnd = 0x1e; // kcat -K '\x1f' -D '\x1e': values may hold newlines and any byte

    /// <summary>
    /// Produces <paramref name="records"/> in order (a null key: none), to <paramref name="partition"/> or, when null,
    /// to the partition kcat's own partitioner picks for the key.
    /// </summary>
    public static async Task ProduceAsync(string bootstrap, string topic, IEnumerable<(byte[]? Key, byte[] Value)> records, int? partition = null)
    {
        var stdin = new MemoryStream();
        foreach (var (key, value) in records)
        {
            if (key is not null) { stdin.Write(key); stdin.WriteByte(KeyEnd); }
            stdin.Write(value);
            stdin.WriteByte(RecordEnd);
        }
        List<string> args = ["-P", "-b", bootstrap, "-t", topic, "-K", "\\x1f", "-D", "\\x1e",
            // librdkafka's default message.max.bytes (1000000) is below a 1 MiB poison record; the dev broker accepts it.
            "-X", "message.max.bytes=2000000"];
        if (partition is { } p) args.AddRange(["-p", $"{p}"]);
        await RunAsync([.. args], stdin.ToArray());
    }

    /// <summary>Every dead letter on <paramref name="topic"/> from the beginning, as its headers.</summary>
    public static async Task<List<Dictionary<string, string>>> DeadLettersAsync(string bootstrap, string topic)
    {
        var dump = await RunAsync(["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-J", "-q"], []);
        return [.. dump.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => Headers(JsonDocument.Parse(line).RootElement))];
    }

    /// <summary>Checks that <paramref name="dead"/> holds exactly one letter per poison record of <paramref name="source"/>,
    /// each with its reason. <paramref name="poison"/>: (partition, offset, expected reason kind).</summary>
    public static void AssertOneEach(List<Dictionary<string, string>> dead, string source, IReadOnlyCollection<(int Partition, long Offset, string Reason)> poison)
    {
        var fromSource = dead.Where(d => d[DeadLetterHeaders.SourceTopic] == source).ToList();
        Assert.Equal(poison.Count, fromSource.Count); // once each
        foreach (var (partition, offset, reason) in poison)
        {
            var letter = Assert.Single(fromSource, d => d[DeadLetterHeaders.Partition] == $"{partition}" && d[DeadLetterHeaders.Offset] == $"{offset}");
            Assert.StartsWith(reason + ": ", letter[DeadLetterHeaders.Reason]);
        }
    }

    /// <summary>kcat -J prints headers as a flat ["name", "value", ...] array.</summary>
    private static Dictionary<string, string> Headers(JsonElement record)
    {
        var list = record.GetProperty("headers").EnumerateArray().Select(e => e.GetString() ?? "").ToList();
        return Enumerable.Range(0, list.Count / 2).ToDictionary(i => list[2 * i], i => list[2 * i + 1]);
    }

    private static async Task<string> RunAsync(string[] args, byte[] stdin)
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
