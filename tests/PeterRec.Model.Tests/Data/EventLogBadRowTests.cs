using System.Text;
using PeterRec.Model.Data;
using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

/// <summary>Bad rows get the CSV readers' discipline: file, line, field and what was expected; or skipped and counted.</summary>
public class EventLogBadRowTests
{
    private const string Header = "user,item,extra,ts\n";

    // Line 2 is good, line 3 blank, line 4 the bad row.
    [Theory]
    [InlineData("u1,a,x,yesterday", 4, "ts", "a timestamp: unix seconds")]
    [InlineData("u1,a,x,1700000000000000", 4, "ts", "a timestamp: unix seconds")]
    [InlineData(",a,x,1700000000", 1, "user", "a non-empty user id")]
    [InlineData("u1, ,x,1700000000", 2, "item", "a non-empty item id")]
    [InlineData("u1,a\u0007,x,1700000000", 2, "item", "a token without control characters")]
    [InlineData("u1,a,x", 4, "ts", "4 fields as in the header")]
    [InlineData("u1,a,x,1700000000,more", 5, "row", "4 fields as in the header")]
    [InlineData("u1,\"a,x,1700000000", 2, "item", "a closing double quote")]
    public void Errors_name_file_line_field_and_what_was_expected(string bad, int field, string name, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", Header + "u1,a,x,1700000000\n\n" + bad + "\nu1,b,x,1700000001\n");
        var e = Assert.Throws<CsvFormatException>(() => ClickSequences.Read(path, new EventLogOptions()));
        Assert.Equal(path, e.File);
        Assert.Equal(4, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Equal(name, e.FieldName);
        Assert.StartsWith(expected, e.Expected);
        Assert.StartsWith($"{path}:4: field {field} ({name}): expected ", e.Message);
    }

    [Fact]
    public void A_too_long_id_is_refused_like_the_topics_refuse_it()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", "user,item,ts\n" + new string('u', 129) + ",a,1700000000\n");
        var e = Assert.Throws<CsvFormatException>(() => ClickSequences.Read(path, new EventLogOptions()));
        Assert.Equal("a token of at most 128 characters", e.Expected);
    }

    [Fact]
    public void Skipping_counts_every_bad_row_keeps_the_first_messages_and_loses_no_good_row()
    {
        using var dir = new TempDir();
        var rows = Enumerable.Range(0, 100).Select(i => i % 4 == 0 ? $"u{i % 3},i{i},x,not-a-time" : $"u{i % 3},i{i},x,{1700000000 + i}");
        var path = dir.Write("e.csv", Header + string.Join('\n', rows) + "\n");
        var s = ClickSequences.Read(path, new EventLogOptions { SkipBadRows = true, KeepBadRowMessages = 5 });
        Assert.Equal(25, s.Summary.Clicks.BadRows);
        Assert.Equal(75, s.Summary.Clicks.Rows);
        Assert.Equal(75, s.Summary.Events);
        Assert.Equal(5, s.Summary.BadRowExamples.Count);
        Assert.StartsWith($"{path}:2: field 4 (ts): expected a timestamp", s.Summary.BadRowExamples[0]);
        Assert.StartsWith($"{path}:6: field 4 (ts)", s.Summary.BadRowExamples[1]);
    }

    [Fact]
    public void A_bad_header_stops_the_read_even_when_skipping_rows()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", "who,what,when\nu1,a,1\n");
        Assert.Throws<InvalidDataException>(() => ClickSequences.Read(path, new EventLogOptions { SkipBadRows = true }));
    }

    /// <summary>20 good rows, then one with bytes that are not UTF-8 on line 22 (the header is line 1), then a good one.</summary>
    private static string InvalidUtf8Log(TempDir dir, bool json)
    {
        var path = dir.File(json ? "e.jsonl" : "e.csv");
        var good = Enumerable.Range(0, 20).Select(i => json ? $"{{\"user\":\"u1\",\"item\":\"a{i}\",\"ts\":{1_700_000_000_000 + i}}}\n" : $"u1,a{i},{i + 1}\n");
        byte[] bad = json ? [.. "{\"user\":\"u1\",\"item\":\"x"u8, 0xff, 0xfe, .. "\",\"ts\":1700000000050}\n"u8] : [.. "u1,x"u8, 0xff, 0xfe, .. ",50\n"u8];
        var after = json ? "{\"user\":\"u1\",\"item\":\"z\",\"ts\":1700000000060}\n" : "u1,z,60\n";
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes((json ? "{\"user\":\"u0\",\"item\":\"a\",\"ts\":1700000000000}\n" : "user,item,ts\n") + string.Concat(good)),
                                  .. bad, .. Encoding.UTF8.GetBytes(after)]);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Invalid_utf8_is_refused_naming_its_own_line(bool json)
    {
        using var dir = new TempDir();
        var path = InvalidUtf8Log(dir, json);
        var e = Assert.Throws<CsvFormatException>(() => ClickSequences.Read(path, new EventLogOptions()));
        Assert.Equal(22, e.Line);
        Assert.StartsWith($"{path}:22: ", e.Message);
        Assert.Contains("expected UTF-8 text", e.Message);
        Assert.Contains("0xFF", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Invalid_utf8_rows_are_skipped_and_counted_with_skip_bad_rows(bool json)
    {
        using var dir = new TempDir();
        var s = ClickSequences.Read(InvalidUtf8Log(dir, json), new EventLogOptions { SkipBadRows = true });
        Assert.Equal(1, s.Summary.Clicks.BadRows);
        Assert.Contains(":22: ", Assert.Single(s.Summary.BadRowExamples));
        Assert.EndsWith(" z", EventLogFiles.Sequences(s).Single(l => l.StartsWith("u1:", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_empty_file_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", "\n\n");
        Assert.Contains("empty file", Assert.Throws<InvalidDataException>(() => ClickSequences.Read(path, new EventLogOptions())).Message);
    }
}
