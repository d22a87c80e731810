using System.Diagnostics;
using PeterRec.Producers;

namespace PeterRec.Streaming.Tests.Produce;

public class ReplayTests
{
    private static string WriteCsv(string content)
    {
        var path = Path.Combine(Path.GetTempPath(), $"peterrec-ft-{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Fine_tune_rows_become_clicks_then_target_labels_with_increasing_timestamps()
    {
        var path = WriteCsv("1,2,3,,9\n\n4,5,,7,8\n");
        try
        {
            var events = FineTuneCsvReplay.Read(path, "rec", "u", 1_700_000_000_000).ToList();
            Assert.Equal(["1", "2", "3"], events.Where(e => e.Click?.User == "u1").Select(e => e.Click!.Item));
            Assert.Equal(["9"], events.Where(e => e.Task?.User == "u1").Select(e => e.Task!.Label));
            Assert.Equal(["7", "8"], events.Where(e => e.Task?.User == "u3").Select(e => e.Task!.Label));
            Assert.All(events.Where(e => e.Task is not null), e => Assert.Equal("rec", e.Task!.Task));
            var ts = events.Select(e => e.Click?.Ts ?? e.Task!.Ts).ToList();
            Assert.Equal(ts.Order(), ts);
            Assert.Equal(ts.Count, ts.Distinct().Count());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("1,2,3,,9\n1,2,3\n", ":2: expected an empty field")]
    [InlineData("1,2,,9\n1,,2,,9\n", ":2: field 4 is empty")]
    [InlineData(",9\n", ":1: no source items")]
    public void Bad_lines_name_file_line_and_field(string content, string expected)
    {
        var path = WriteCsv(content);
        try
        {
            var e = Assert.Throws<FormatException>(() => FineTuneCsvReplay.Read(path, "rec", "u", 1_700_000_000_000).ToList());
            Assert.Contains(path + expected, e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Synthetic_traffic_is_deterministic_per_seed()
    {
        var a = SyntheticReplay.Generate(50, 100, 10, "rec", "u", 1_700_000_000_000, seed: 7).ToList();
        var b = SyntheticReplay.Generate(50, 100, 10, "rec", "u", 1_700_000_000_000, seed: 7).ToList();
        Assert.Equal(a, b);
        Assert.Equal(500, a.Count(e => e.Click is not null));
        Assert.Contains(a, e => e.Task is not null);
    }

    [Fact]
    public void The_token_bucket_holds_the_rate()
    {
        var bucket = new TokenBucket(500);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++) bucket.Take();
        // 25 tokens of burst, then 75 at 500/s: at least 150 ms.
        Assert.InRange(clock.Elapsed.TotalMilliseconds, 140, 2000);
    }
}
