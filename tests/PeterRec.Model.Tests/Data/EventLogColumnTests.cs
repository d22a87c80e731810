using PeterRec.Model.Data.Events;
using static PeterRec.Model.Tests.Data.EventLogFiles;

namespace PeterRec.Model.Tests.Data;

public class EventLogColumnTests
{
    [Theory]
    [InlineData("user,item,ts")]
    [InlineData("user_id,item_id,timestamp")]
    [InlineData("userId,itemId,time")]
    [InlineData("user_id,movie_id,timestamp")]
    [InlineData("USER_ID,Item_Id,TimeStamp")] // case does not matter
    public void Columns_are_found_by_their_usual_names(string header)
    {
        using var dir = new TempDir();
        var s = Clicks(dir, $"{header}\nu1,a,1700000000\nu1,b,1700000001\n");
        Assert.Equal(["u1: a b"], Sequences(s));
    }

    [Fact]
    public void Columns_can_come_in_any_order_among_others_which_are_ignored()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "rating,timestamp,movie_id,user_id\n5,1700000001,b,u1\n3,1700000000,a,u1\n");
        Assert.Equal(["u1: a b"], Sequences(s));
    }

    [Fact]
    public void Flags_name_columns_the_usual_names_do_not_cover()
    {
        using var dir = new TempDir();
        var options = new EventLogOptions { UserColumn = "visitor", ItemColumn = "sku", TimeColumn = "when" };
        var s = Clicks(dir, "visitor,sku,when,user\nv1,a,2024-01-01,x\nv1,b,2024-01-02,y\n", options);
        Assert.Equal(["v1: a b"], Sequences(s)); // --user-col wins over the "user" column
    }

    [Fact]
    public void A_missing_column_is_named_with_the_names_tried_and_the_flag()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", "visitor,item,ts\nv1,a,1700000000\n");
        var e = Assert.Throws<InvalidDataException>(() => ClickSequences.Read(path, new EventLogOptions { SkipBadRows = true }));
        Assert.Equal($"{path}:1: header: expected a user column named user or user_id or userId (or name it with --user-col), got columns 'visitor', 'item', 'ts'", e.Message);
    }

    [Fact]
    public void A_flag_naming_no_column_is_refused()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", "user,item,ts\n");
        var e = Assert.Throws<InvalidDataException>(() => ClickSequences.Read(path, new EventLogOptions { TimeColumn = "when" }));
        Assert.Contains("expected a column named 'when' (--time-col)", e.Message);
    }

    [Fact]
    public void Two_candidate_columns_are_ambiguous_rather_than_guessed()
    {
        using var dir = new TempDir();
        var path = dir.Write("e.csv", "user,user_id,item,ts\n");
        var e = Assert.Throws<InvalidDataException>(() => ClickSequences.Read(path, new EventLogOptions()));
        Assert.Contains("columns 'user', 'user_id' could each be the user column; name one with --user-col", e.Message);
    }

    [Fact]
    public void Tab_separated_files_and_quoted_fields_are_read()
    {
        using var dir = new TempDir();
        Assert.Equal(["u 1: a,b c"], Sequences(Clicks(dir, "user\titem\tts\nu 1\t\"a,b\"\t1700000000\nu 1\tc\t1700000001\n", name: "e.tsv")));
        Assert.Equal(["u,1: say \"hi\" b"], Sequences(Clicks(dir, "\"user\",\"item\",\"ts\"\n\"u,1\",\"say \"\"hi\"\"\",1700000000\n\"u,1\", b ,1700000001\n")));
    }

    [Fact]
    public void Labels_files_find_a_label_column_or_fall_back_to_an_item_column()
    {
        using var dir = new TempDir();
        var clicks = dir.Write("c.csv", "user,item,ts\nu1,a,1700000000\n");
        foreach (var header in new[] { "user,label,ts", "user,target,ts", "user_id,class,timestamp", "user,item,ts" })
        {
            var labels = dir.Write("l.csv", $"{header}\nu1,t1,1700000005\n");
            var h = LabelledHistories.Read(clicks, labels, "rec", new EventLogOptions());
            Assert.Equal(["t1"], Assert.Single(h.Rows).Targets);
        }
    }
}
