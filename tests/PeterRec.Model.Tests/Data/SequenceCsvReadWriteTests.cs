using System.Text;
using PeterRec.Model.Data;

namespace PeterRec.Model.Tests.Data;

public class SequenceCsvReadWriteTests
{
    private static readonly CsvReadOptions Defaults = new();

    [Fact]
    public void Leading_zero_padding_is_removed_and_order_kept_oldest_first()
    {
        using var dir = new TempDir();
        var path = dir.Write("p.csv", "0,0,0,s3,s1,s2\ns9\n0,s1\n");
        var rows = SequenceCsv.ReadPretrain(path, Defaults).Rows;
        Assert.Equal([["s3", "s1", "s2"], ["s9"], ["s1"]], rows.Select(r => r.Items));
        Assert.Equal([1, 2, 3], rows.Select(r => r.Line));
    }

    [Fact]
    public void Bom_crlf_blank_lines_spaces_and_a_missing_final_newline_are_tolerated()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.csv", "\uFEFF0,s1, s2 ,,t1\r\n\r\n   \r\ns3,,c2");
        var rows = SequenceCsv.ReadFineTune(path, Defaults).Rows;
        Assert.Equal(2, rows.Count);
        Assert.Equal(["s1", "s2"], rows[0].Source);
        Assert.Equal(["t1"], rows[0].Targets);
        Assert.Equal(4, rows[1].Line);
        Assert.Equal(["s3"], rows[1].Source);
        Assert.Equal(["c2"], rows[1].Targets);
    }

    [Fact]
    public void Zero_is_an_ordinary_target_token()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.csv", "s1,,0,t2\n");
        Assert.Equal(["0", "t2"], SequenceCsv.ReadFineTune(path, Defaults).Rows[0].Targets);
    }

    [Fact]
    public void Rows_longer_than_the_read_buffer_parse_whole()
    {
        using var dir = new TempDir();
        var items = Enumerable.Range(0, 30_000).Select(i => "item" + i).ToArray();
        var path = dir.Write("p.csv", "s0\n" + string.Join(',', items) + "\ns1\n");
        var rows = SequenceCsv.ReadPretrain(path, Defaults).Rows;
        Assert.Equal(3, rows.Count);
        Assert.Equal(items, rows[1].Items);
        Assert.Equal(["s1"], rows[2].Items);
    }

    [Fact]
    public void Pretrain_write_then_read_round_trips_with_and_without_padding()
    {
        using var dir = new TempDir();
        string[][] rows = [["s1", "s2", "s3"], ["ü", "x y"], ["s4"]];
        SequenceCsv.WritePretrain(dir.File("a.csv"), rows);
        SequenceCsv.WritePretrain(dir.File("b.csv"), rows, padTo: 5);
        Assert.Equal(rows, SequenceCsv.ReadPretrain(dir.File("a.csv"), Defaults).Rows.Select(r => r.Items));
        Assert.Equal(rows, SequenceCsv.ReadPretrain(dir.File("b.csv"), Defaults).Rows.Select(r => r.Items));
        Assert.StartsWith("0,0,s1,s2,s3\n", File.ReadAllText(dir.File("b.csv")));
    }

    [Fact]
    public void FineTune_write_then_read_round_trips()
    {
        using var dir = new TempDir();
        (IReadOnlyList<string>, IReadOnlyList<string>)[] rows = [(["s1", "s2"], ["t1", "t2"]), (["s3"], ["c0"])];
        SequenceCsv.WriteFineTune(dir.File("f.csv"), rows, padTo: 3);
        var back = SequenceCsv.ReadFineTune(dir.File("f.csv"), Defaults).Rows;
        Assert.Equal("0,s1,s2,,t1,t2\n0,0,s3,,c0\n", File.ReadAllText(dir.File("f.csv")));
        Assert.Equal(rows.Select(r => r.Item1), back.Select(r => r.Source));
        Assert.Equal(rows.Select(r => r.Item2), back.Select(r => r.Targets));
    }

    [Theory]
    [InlineData("a,b")]
    [InlineData("0")]
    [InlineData("")]
    [InlineData(" s")]
    [InlineData("a\u0002")]
    public void Writer_refuses_tokens_the_reader_would_not_read_back(string token)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<ArgumentException>(() => SequenceCsv.WritePretrain(dir.File("p.csv"), [["s1", token]]));
        Assert.Contains("row 1, source item 2", e.Message);
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_untouched()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.csv", "s1,,t1\n");
        Assert.Throws<ArgumentException>(() =>
            SequenceCsv.WriteFineTune(path, [(["s2"], ["t2"]), (["s3"], Array.Empty<string>())]));
        Assert.Equal("s1,,t1\n", File.ReadAllText(path));
        Assert.Equal(["f.csv"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }
}
