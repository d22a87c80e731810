using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

/// <summary>Labels with their histories: the user's clicks strictly before each label's time.</summary>
public class LabelledHistoriesTests
{
    private const string Clicks = "user,item,ts\nu1,a,10\nu2,x,10\nu1,b,20\nu1,c,30\nu3,z,10\nu1,d,40\n";

    private static LabelledHistories Read(TempDir dir, string labels, EventLogOptions? options = null, string clicks = Clicks) =>
        LabelledHistories.Read(dir.Write("c.csv", clicks), dir.Write("l.csv", labels), "rec", options ?? new EventLogOptions());

    private static string[] Show(LabelledHistories h) =>
        h.Rows.Select(r => $"{r.User}: {string.Join(' ', r.Source)} -> {string.Join(' ', r.Targets)}").ToArray();

    [Fact]
    public void A_labels_history_is_the_clicks_strictly_before_it_and_labels_at_one_time_share_it()
    {
        using var dir = new TempDir();
        var h = Read(dir, "user,label,ts\nu1,t1,30\nu2,t9,11\nu1,t2,30\nu1,t3,45\n");
        Assert.Equal(["u1: a b -> t1 t2", "u1: a b c d -> t3", "u2: x -> t9"], Show(h)); // the click at 30 is not before the label at 30
        Assert.Equal(3, h.Summary.Examples);
        Assert.Equal(4, h.Summary.LabelsKept);
        Assert.Equal(2, h.Summary.Users);
    }

    [Fact]
    public void Labels_without_an_earlier_click_are_dropped_and_counted()
    {
        using var dir = new TempDir();
        var h = Read(dir, "user,label,ts\nu1,t1,5\nu1,t1,10\nu4,t2,99\nu2,t3,20\n");
        Assert.Equal(["u2: x -> t3"], Show(h));
        Assert.Equal(3, h.Summary.DroppedShort);
    }

    [Fact]
    public void Clicks_nobody_needs_are_counted_not_kept()
    {
        using var dir = new TempDir();
        var h = Read(dir, "user,label,ts\nu1,t1,25\n");
        Assert.Equal(["u1: a b -> t1"], Show(h));
        Assert.Equal(4, h.Summary.Clicks.NotNeeded); // u2, u3 (no labels) and u1's clicks at 30 and 40 (after its last label)
    }

    [Fact]
    public void The_split_keeps_labels_at_or_after_it_with_histories_reaching_back_before_it()
    {
        using var dir = new TempDir();
        var h = Read(dir, "user,label,ts\nu1,early,15\nu1,late,35\nu2,edge,30\n", new EventLogOptions { UntilMs = 30_000 });
        Assert.Equal(["u1: a b c -> late", "u2: x -> edge"], Show(h));
        Assert.Equal(1, h.Summary.Labels!.OutsideSplit);
    }

    [Fact]
    public void Duplicate_labels_are_dropped_and_counted()
    {
        using var dir = new TempDir();
        var h = Read(dir, "user,label,ts\nu1,t1,25\nu1,t1,25\nu1,t2,25\n");
        Assert.Equal(["u1: a b -> t1 t2"], Show(h));
        Assert.Equal(1, h.Summary.Labels!.Duplicates);
    }

    [Fact]
    public void Histories_keep_their_most_recent_clicks_and_short_ones_are_dropped()
    {
        using var dir = new TempDir();
        var h = Read(dir, "user,label,ts\nu1,t1,45\nu1,t2,25\nu2,t3,20\n", new EventLogOptions { MaxLength = 2, MinUserLength = 2 });
        Assert.Equal(["u1: a b -> t2", "u1: c d -> t1"], Show(h));
        Assert.Equal(1, h.Summary.DroppedShort);
    }

    [Fact]
    public void Rare_items_leave_the_histories()
    {
        using var dir = new TempDir();
        var clicks = "user,item,ts\nu1,a,10\nu1,r,20\nu2,a,10\n";
        var h = Read(dir, "user,label,ts\nu1,t1,30\nu2,t2,30\n", new EventLogOptions { MinItemCount = 2 }, clicks);
        Assert.Equal(["u1: a -> t1", "u2: a -> t2"], Show(h));
        Assert.Equal(1, h.Summary.RareItemEvents);
    }
}
