using System.Text;
using PeterRec.Model.Data;

namespace PeterRec.Model.Tests.Data;

/// <summary>Every malformed-row kind names file, 1-based line, 1-based field and what was expected.</summary>
public class SequenceCsvErrorTests
{
    private static readonly CsvReadOptions Strict = new(MaxTokenLength: 8, MaxTokensPerRow: 6);

    // Line 1 is good, line 2 blank (still counted), line 3 is the bad row.
    [Theory]
    [InlineData("s1,,s2", 2, "item", "empty fields")]
    [InlineData("s1,s2,", 3, "item", "empty fields")]
    [InlineData("s1,0,s2", 2, "item", "padding '0' may only precede")]
    [InlineData("0,0,0", 3, "item", "at least one real item")]
    [InlineData("s1,abcdefghij", 2, "item", "at most 8 characters")]
    [InlineData("a,b,c,d,e,f,g", 7, "row", "at most 6 fields")]
    [InlineData("s1,s\u00012", 2, "item", "without control characters")]
    [InlineData("s1\ts2", 1, "item", "without control characters")]
    [InlineData("s1,s2\rs3", 2, "item", "without control characters")]
    public void Pretrain_errors_name_file_line_and_field(string badRow, int field, string name, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("p.csv", "0,s1,s2\n\n" + badRow + "\ns4\n");
        var e = Assert.Throws<CsvFormatException>(() => SequenceCsv.ReadPretrain(path, Strict));
        AssertNames(e, path, 3, field, name, expected);
    }

    [Theory]
    [InlineData("s1,s2,t1", 4, "separator", "an empty field separating")]
    [InlineData("s1,s2,", 4, "target", "at least one target")]
    [InlineData(",t1", 1, "source item", "at least one source item")]
    [InlineData("0,0,,t1", 3, "source item", "only '0' padding")]
    [InlineData("s1, ,s2,,t1", 2, "source item", "blank field is not a separator")]
    [InlineData("s1,0,,t1", 2, "source item", "padding '0' may only precede")]
    [InlineData("s1,,t1,,t2", 4, "target", "only one empty field")]
    [InlineData("s1,,t1,toolongtarget", 4, "target", "at most 8 characters")]
    [InlineData("s\u007f,,t1", 1, "source item", "without control characters")]
    [InlineData("a,b,c,d,e,,t", 7, "row", "at most 6 fields")]
    public void FineTune_errors_name_file_line_and_field(string badRow, int field, string name, string expected)
    {
        using var dir = new TempDir();
        var path = dir.Write("f.csv", "0,s1,s2,,t1\n\n" + badRow + "\ns4,,t2\n");
        var e = Assert.Throws<CsvFormatException>(() => SequenceCsv.ReadFineTune(path, Strict));
        AssertNames(e, path, 3, field, name, expected);
    }

    [Fact]
    public void Message_follows_the_documented_shape_and_quotes_the_offending_text()
    {
        using var dir = new TempDir();
        var path = dir.Write("p.csv", "s1,0\n");
        var e = Assert.Throws<CsvFormatException>(() => SequenceCsv.ReadPretrain(path, new CsvReadOptions()));
        Assert.Equal($"{path}:1: field 2 (item): expected a real item (padding '0' may only precede the first item), got '0'", e.Message);
        Assert.Equal("0", e.Got);
    }

    [Fact]
    public void Row_ending_early_reads_got_end_of_line()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.csv", "s1,s2\n");
        var e = Assert.Throws<CsvFormatException>(() => SequenceCsv.ReadFineTune(path, new CsvReadOptions()));
        Assert.EndsWith("got end of line", e.Message);
        Assert.Null(e.Got);
    }

    [Fact]
    public void Without_skipping_the_first_bad_row_is_reported()
    {
        using var dir = new TempDir();
        var path = dir.Write("p.csv", "s1\ns1,,s2\ns3\n0,0\n");
        var e = Assert.Throws<CsvFormatException>(() => SequenceCsv.ReadPretrain(path, new CsvReadOptions()));
        Assert.Equal(2, e.Line);
    }

    [Fact]
    public void Skipping_records_every_bad_row_and_keeps_good_rows_intact()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.csv", string.Join('\n',
            "0,s1,s2,,t1",       // 1 good
            "s1,s2,t1",          // 2 missing separator
            "",                  // 3 blank
            "s3,,t2,t3",         // 4 good
            ",t1",               // 5 no source
            "s1,0,,t4",          // 6 padding after item
            "s5,s6,,c1") + "\n"); // 7 good
        var result = SequenceCsv.ReadFineTune(path, new CsvReadOptions(SkipBadRows: true));

        Assert.Equal([1, 4, 7], result.Rows.Select(r => r.Line));
        Assert.Equal(["s1", "s2"], result.Rows[0].Source);
        Assert.Equal(["t1"], result.Rows[0].Targets);
        Assert.Equal(["s3"], result.Rows[1].Source);
        Assert.Equal(["t2", "t3"], result.Rows[1].Targets);
        Assert.Equal(["s5", "s6"], result.Rows[2].Source);
        Assert.Equal([2, 5, 6], result.Skipped.Select(s => s.Line));
        Assert.StartsWith($"{path}:2: field 4 (separator)", result.Skipped[0].Reason);
        Assert.StartsWith($"{path}:6: field 2 (source item)", result.Skipped[2].Reason);
    }

    [Fact]
    public void A_row_too_long_to_buffer_is_drained_and_the_next_row_still_reads()
    {
        using var dir = new TempDir();
        var huge = new string('x', 200_000);
        var path = dir.Write("p.csv", "s1\n" + huge + "\ns2,s3\n");
        var options = new CsvReadOptions(SkipBadRows: true, MaxTokenLength: 4, MaxTokensPerRow: 10);
        var result = SequenceCsv.ReadPretrain(path, options);
        Assert.Equal([["s1"], ["s2", "s3"]], result.Rows.Select(r => r.Items));
        Assert.Equal(3, result.Rows[1].Line);
        var skipped = Assert.Single(result.Skipped);
        Assert.Equal(2, skipped.Line);
        Assert.Contains("field 1 (row)", skipped.Reason);
        Assert.True(skipped.Reason.Length < 400, "the message must not echo the whole row");
    }

    private static string InvalidUtf8OnLine21(TempDir dir)
    {
        var path = dir.File("bad.csv");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20).Select(i => $"s{i},s{i + 1}\n"))),
                                  .. "s1,s"u8, 0xC3, 0x28, .. "\ns7,s8\n"u8]);
        return path;
    }

    [Fact]
    public void Invalid_utf8_fails_naming_the_file_its_line_and_field()
    {
        using var dir = new TempDir();
        var path = InvalidUtf8OnLine21(dir);
        var e = Assert.Throws<CsvFormatException>(() => SequenceCsv.ReadPretrain(path, new CsvReadOptions()));
        AssertNames(e, path, 21, 2, "text", "UTF-8 text");
        Assert.Contains("0xC3", e.Message);
    }

    [Fact]
    public void Invalid_utf8_rows_are_skipped_with_skip_bad_rows()
    {
        using var dir = new TempDir();
        var result = SequenceCsv.ReadPretrain(InvalidUtf8OnLine21(dir), new CsvReadOptions(SkipBadRows: true));
        Assert.Equal(21, Assert.Single(result.Skipped).Line);
        Assert.Equal(21, result.Rows.Count);
        Assert.Equal(["s7", "s8"], result.Rows[^1].Items);
    }

    private static void AssertNames(CsvFormatException e, string path, int line, int field, string name, string expected)
    {
        Assert.Equal(path, e.File);
        Assert.Equal(line, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Equal(name, e.FieldName);
        Assert.Contains(expected, e.Expected);
        Assert.StartsWith($"{path}:{line}: field {field} ({name}): expected ", e.Message);
    }
}
