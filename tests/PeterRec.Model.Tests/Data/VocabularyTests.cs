using PeterRec.Model.Data;

namespace PeterRec.Model.Tests.Data;

public class VocabularyTests
{
    [Fact]
    public void Build_puts_specials_first_then_tokens_in_first_seen_order()
    {
        var v = Vocabulary.Build(["b", "a", "b", "c", "a"], Vocabulary.SourceSpecials);
        Assert.Equal(["<pad>", "<unk>", "b", "a", "c"], v.Tokens);
        Assert.Equal(Vocabulary.PadId, v.IdOrUnk("<pad>"));
        Assert.Equal(2, v.IdOrUnk("b"));
        Assert.Equal(Vocabulary.UnkId, v.IdOrUnk("never-seen"));
        Assert.Equal("c", v.Token(4));
        Assert.Equal(5, v.Count);
    }

    [Fact]
    public void Add_returns_the_existing_id_for_a_known_token()
    {
        var v = new Vocabulary(Vocabulary.SourceSpecials);
        var a = v.Add("x");
        Assert.Equal(a, v.Add("x"));
        Assert.Equal(3, v.Count);
        Assert.True(v.TryGetId("x", out var id) && id == a);
        Assert.False(v.TryGetId("y", out _));
    }

    [Fact]
    public void IdOrUnk_without_an_unk_token_throws()
    {
        var v = Vocabulary.Build(["t1", "t2"], []);
        Assert.Equal(0, v.IdOrUnk("t1"));
        Assert.Throws<InvalidOperationException>(() => v.IdOrUnk("t9"));
    }

    [Fact]
    public void Tokens_that_cannot_round_trip_through_a_line_based_file_are_refused()
    {
        var v = new Vocabulary([]);
        Assert.Throws<ArgumentException>(() => v.Add(""));
        Assert.Throws<ArgumentException>(() => v.Add("a\nb"));
        Assert.Throws<ArgumentException>(() => new Vocabulary(["<pad>", "<pad>"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => v.Token(0));
    }

    [Fact]
    public void Save_then_Load_gives_an_equal_vocabulary()
    {
        using var dir = new TempDir();
        var v = Vocabulary.Build(["s1", "s2", "ü-token", "s 3"], Vocabulary.SourceSpecials);
        v.Save(dir.File("vocab.txt"));
        var back = Vocabulary.Load(dir.File("vocab.txt"), Vocabulary.SourceSpecials);
        Assert.Equal(v, back);
        Assert.True(v == back);
        Assert.Equal(v.GetHashCode(), back.GetHashCode());
        Assert.NotEqual(v, Vocabulary.Build(["s2", "s1", "ü-token", "s 3"], Vocabulary.SourceSpecials));
    }

    [Fact]
    public void Load_names_the_line_when_the_specials_do_not_head_the_file()
    {
        using var dir = new TempDir();
        var p = dir.Write("vocab.txt", "<pad>\ns1\n<unk>\n");
        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(p, Vocabulary.SourceSpecials));
        Assert.Contains($"{p}:2:", e.Message);
        Assert.Contains("'<unk>'", e.Message);
        Assert.Contains("'s1'", e.Message);
    }

    [Fact]
    public void Load_rejects_duplicates_and_short_files_with_the_line()
    {
        using var dir = new TempDir();
        var dup = dir.Write("dup.txt", "<pad>\n<unk>\ns1\ns2\ns1\n");
        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(dup, Vocabulary.SourceSpecials));
        Assert.Contains($"{dup}:5:", e.Message);
        Assert.Contains("line 3", e.Message);

        var shortFile = dir.Write("short.txt", "<pad>\n");
        Assert.Throws<InvalidDataException>(() => Vocabulary.Load(shortFile, Vocabulary.SourceSpecials));
    }
}
