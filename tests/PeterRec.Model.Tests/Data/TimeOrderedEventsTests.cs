using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

/// <summary>Clicks and labels merged for a replay: event-time order, clicks first on ties, file order otherwise.</summary>
public class TimeOrderedEventsTests
{
    [Fact]
    public void Clicks_and_labels_interleave_by_time_with_clicks_first_at_equal_times()
    {
        using var dir = new TempDir();
        var clicks = dir.Write("clicks.csv", "user,item,ts\nu1,a,30\nu2,b,10\nu1,c,20\nu2,d,20\n");
        var labels = dir.Write("labels.csv", "user,label,ts\nu1,t1,20\nu2,t2,5\nu2,t3,40\n");
        var log = TimeOrderedEvents.Read(clicks, labels, "rec", new EventLogOptions());
        var order = log.Events().Select(e => $"{(e.IsLabel ? "L" : "C")}:{e.User}:{e.Value}@{e.TimeMs}").ToList();
        // Times here are below 10^11, so they are read as unix seconds.
        Assert.Equal(["L:u2:t2@5000", "C:u2:b@10000", "C:u1:c@20000", "C:u2:d@20000", "L:u1:t1@20000", "C:u1:a@30000", "L:u2:t3@40000"], order);
        Assert.Equal(4, log.Clicks!.Rows);
        Assert.Equal(3, log.Labels!.Rows);
    }

    [Fact]
    public void The_time_split_keeps_clicks_before_it_and_labels_from_it()
    {
        using var dir = new TempDir();
        var clicks = dir.Write("clicks.csv", "user,item,ts\nu1,a,10\nu1,b,30\n");
        var labels = dir.Write("labels.csv", "user,label,ts\nu1,t1,10\nu1,t2,30\n");
        var log = TimeOrderedEvents.Read(clicks, labels, "rec", new EventLogOptions { UntilMs = 20_000 });
        Assert.Equal(["a", "t2"], log.Events().Select(e => e.Value));
        Assert.Equal(1, log.Clicks!.OutsideSplit);
        Assert.Equal(1, log.Labels!.OutsideSplit);
    }

    [Fact]
    public void A_bad_row_stops_the_read_naming_file_and_line()
    {
        using var dir = new TempDir();
        var clicks = dir.Write("clicks.csv", "user,item,ts\nu1,a,10\nu1,b,yesterday\n");
        var e = Assert.Throws<PeterRec.Model.Data.CsvFormatException>(() => TimeOrderedEvents.Read(clicks, null, "rec", new EventLogOptions()));
        Assert.Contains("clicks.csv", e.Message);
        Assert.Contains("3", e.Message);
    }
}
