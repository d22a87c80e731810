using System.IO.Compression;
using System.Text;
using PeterRec.Model.Data;
using PeterRec.Model.Data.Events;
using static PeterRec.Model.Tests.Data.EventLogFiles;

namespace PeterRec.Model.Tests.Data;

/// <summary>JSON lines in the topics' own format, and gzip told by its magic bytes.</summary>
public class EventLogFormatTests
{
    private const string Json =
        "{\"user\":\"u1\",\"item\":\"b\",\"ts\":1700000001000}\n" +
        "\n" +
        "{\"ts\":1700000000000,\"item\":\"a\",\"user\":\"u1\",\"extra\":{\"nested\":[1,2]}}\n" +
        "{\"user\":\"u2\",\"item\":\"caf\\u00e9\",\"ts\":1700000000000}\n";

    [Fact]
    public void Json_lines_in_the_clicks_topic_format_are_read_with_unknown_fields_ignored()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, Json, name: "clicks.jsonl");
        Assert.Equal("jsonl", s.Summary.Clicks.Format);
        Assert.Equal(["u1: a b", "u2: café"], Sequences(s));
    }

    [Theory]
    [InlineData("{\"user\":\"u1\",\"item\":\"a\",\"ts\":1700000000}", 3, "ts", "unix milliseconds in [946684800000, 4102444800000)")] // seconds: the topic wants ms
    [InlineData("{\"user\":\"u1\",\"item\":\"a\"}", 3, "ts", "a \"ts\" field")]
    [InlineData("{\"user\":\"u1\",\"user\":\"u2\",\"item\":\"a\",\"ts\":1700000000000}", 2, "user", "each field once")]
    [InlineData("{\"user\":1,\"item\":\"a\",\"ts\":1700000000000}", 1, "user", "a string")]
    [InlineData("{\"user\":\"u1\",\"item\":\"a\",\"ts\":\"1700000000000\"}", 3, "ts", "an integer (unix milliseconds)")]
    [InlineData("{\"user\":\"\",\"item\":\"a\",\"ts\":1700000000000}", 1, "user", "a non-empty user id")]
    [InlineData("{\"user\":\"u\\u0001\",\"item\":\"a\",\"ts\":1700000000000}", 1, "user", "without control characters")]
    [InlineData("[\"u1\",\"a\",1700000000000]", 1, "object", "a JSON object")]
    [InlineData("{\"user\":\"u1\",\"item\":\"a\",\"ts\":1700000000000} x", 3, "json", "a valid flat JSON object")]
    [InlineData("{\"user\":\"u1\",\"item\":\"a\",", 2, "json", "a valid flat JSON object")]
    public void Json_rows_follow_the_topics_rules_and_errors_name_line_and_field(string bad, int field, string name, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("c.jsonl", "{\"user\":\"u1\",\"item\":\"a\",\"ts\":1700000000000}\n" + bad + "\n");
        var e = Assert.Throws<CsvFormatException>(() => ClickSequences.Read(path, new EventLogOptions()));
        Assert.Equal(path, e.File);
        Assert.Equal(2, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Equal(name, e.FieldName);
        Assert.Contains(expected, e.Expected);
    }

    [Fact]
    public void Json_labels_of_another_task_are_ignored_and_counted()
    {
        using var dir = new TempDir();
        var clicks = dir.Write("c.jsonl", "{\"user\":\"u1\",\"item\":\"a\",\"ts\":1700000000000}\n");
        var labels = dir.Write("l.jsonl",
            "{\"user\":\"u1\",\"task\":\"cls\",\"label\":\"c3\",\"ts\":1700000005000}\n" +
            "{\"user\":\"u1\",\"task\":\"rec\",\"label\":\"t9\",\"ts\":1700000005000}\n" +
            "{\"user\":\"u1\",\"label\":\"t8\",\"ts\":1700000005000}\n");
        var h = LabelledHistories.Read(clicks, labels, "rec", new EventLogOptions());
        Assert.Equal(["t9", "t8"], Assert.Single(h.Rows).Targets);
        Assert.Equal(1, h.Summary.Labels!.NotNeeded);
    }

    [Fact]
    public void A_pluggable_json_parser_reads_the_rows()
    {
        using var dir = new TempDir();
        var path = dir.Write("c.jsonl", "{\"u\":1}\n{\"u\":2}\n");
        var s = ClickSequences.Read(path, new EventLogOptions(), new CountingParser());
        Assert.Equal(["user: item1 item2"], Sequences(s));
    }

    private sealed class CountingParser : IJsonEventParser
    {
        private int _n;

        public EventFieldError? Parse(ReadOnlySpan<byte> utf8, JsonEventRow row)
        {
            _n++;
            row.SetUser("user");
            row.SetValue($"item{_n}");
            row.TimeMs = _n;
            return null;
        }
    }

    [Theory]
    [InlineData("events.csv.gz")]
    [InlineData("events.csv")] // the magic bytes decide, not the name
    public void Gzip_files_are_read_whatever_their_name(string name)
    {
        using var dir = new TempDir();
        WriteGzip(dir.File(name), "user,item,ts\nu1,b,2\nu1,a,1\n");
        var s = ClickSequences.Read(dir.File(name), new EventLogOptions());
        Assert.Equal("csv+gzip", s.Summary.Clicks.Format);
        Assert.Equal(["u1: a b"], Sequences(s));
    }

    [Fact]
    public void Gzip_json_lines_are_read()
    {
        using var dir = new TempDir();
        WriteGzip(dir.File("c.jsonl.gz"), Json);
        var s = ClickSequences.Read(dir.File("c.jsonl.gz"), new EventLogOptions());
        Assert.Equal("jsonl+gzip", s.Summary.Clicks.Format);
        Assert.Equal(3, s.Summary.Events);
    }

    [Fact]
    public void A_gz_name_without_gzip_data_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv.gz", "user,item,ts\nu1,a,1\n");
        var e = Assert.Throws<InvalidDataException>(() => ClickSequences.Read(path, new EventLogOptions()));
        Assert.Contains("expected gzip data", e.Message);
    }

    [Fact]
    public void A_truncated_gzip_file_is_an_error_not_a_shorter_log()
    {
        using var dir = new TempDir();
        var text = "user,item,ts\n" + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"u{i % 97},i{i * 31 % 1009},{i}\n"));
        WriteGzip(dir.File("full.gz"), text);
        var bytes = File.ReadAllBytes(dir.File("full.gz"));
        File.WriteAllBytes(dir.File("cut.gz"), bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => ClickSequences.Read(dir.File("cut.gz"), new EventLogOptions()));
        Assert.Contains("cut.gz", e.Message);
        Assert.Contains("truncated or corrupt", e.Message);

        bytes[bytes.Length / 2] ^= 0x55; // one flipped byte: caught by the CRC if not by the decoder
        File.WriteAllBytes(dir.File("flipped.gz"), bytes);
        Assert.Throws<InvalidDataException>(() => ClickSequences.Read(dir.File("flipped.gz"), new EventLogOptions()));
    }

    [Fact]
    public void Concatenated_gzip_files_read_as_one_log()
    {
        using var dir = new TempDir();
        WriteGzip(dir.File("a.gz"), "user,item,ts\nu1,a,1\n");
        WriteGzip(dir.File("b.gz"), "u1,b,2\nu2,c,3\n");
        File.WriteAllBytes(dir.File("all.gz"), [.. File.ReadAllBytes(dir.File("a.gz")), .. File.ReadAllBytes(dir.File("b.gz"))]);
        Assert.Equal(["u1: a b", "u2: c"], Sequences(ClickSequences.Read(dir.File("all.gz"), new EventLogOptions())));
    }

    private static void WriteGzip(string path, string text)
    {
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        gz.Write(Encoding.UTF8.GetBytes(text));
    }
}
