using PeterRec.Model.Data;
using PeterRec.Model.Data.Events;
using static PeterRec.Model.Tests.Data.EventLogFiles;

namespace PeterRec.Model.Tests.Data;

/// <summary>Rows become per-user sequences: time order, file order on ties, duplicates out, then the filters.</summary>
public class EventLogGroupingTests
{
    [Fact]
    public void Rows_are_grouped_per_user_in_time_order_with_users_in_order_of_first_appearance()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "user,item,ts\nu2,c,30\nu1,b,20\nu2,a,10\nu1,a,10\nu3,z,5\n");
        Assert.Equal(["u2: a c", "u1: a b", "u3: z"], Sequences(s));
    }

    [Fact]
    public void Ties_in_time_keep_file_order()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "user,item,ts\nu1,x,20\nu1,c,10\nu1,a,10\nu1,b,10\nu1,w,5\n");
        Assert.Equal(["u1: w c a b x"], Sequences(s));
    }

    [Fact]
    public void Ties_keep_file_order_in_long_runs_too()
    {
        using var dir = new TempDir();
        var rows = Enumerable.Range(0, 200).Select(i => $"u1,i{(i * 7919) % 200},{(i % 2 == 0 ? 100 : 50)}");
        var s = Clicks(dir, "user,item,ts\n" + string.Join('\n', rows) + "\n");
        var odd = Enumerable.Range(0, 200).Where(i => i % 2 == 1).Select(i => $"i{(i * 7919) % 200}");
        var even = Enumerable.Range(0, 200).Where(i => i % 2 == 0).Select(i => $"i{(i * 7919) % 200}");
        Assert.Equal([$"u1: {string.Join(' ', odd.Concat(even))}"], Sequences(s));
    }

    [Fact]
    public void Exact_duplicates_are_dropped_and_counted_but_a_repeat_at_another_time_is_kept()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "user,item,ts\nu1,a,10\nu1,b,10\nu1,a,10\nu1,a,11\nu2,a,10\nu1,a,10\n");
        Assert.Equal(2, s.Summary.Clicks.Duplicates);
        Assert.Equal(4, s.Summary.Events);
        Assert.Equal(["u1: a b a", "u2: a"], Sequences(s));
    }

    [Fact]
    public void Rare_items_go_first_then_short_users_then_the_oldest_beyond_the_maximum_length()
    {
        using var dir = new TempDir();
        // r appears once (rare); u2 has 3 clicks, 2 after r goes; u1 has 5 clicks, 4 after r goes, cut to the last 3.
        var s = Clicks(dir, "user,item,ts\nu1,a,1\nu1,r,2\nu1,b,3\nu1,a,4\nu1,b,5\nu2,a,1\nu2,b,2\nu3,a,1\nu3,b,2\nu3,a,3\n",
            new EventLogOptions { MinItemCount = 2, MinUserLength = 3, MaxLength = 3 });
        Assert.Equal(["u1: b a b", "u3: a b a"], Sequences(s));
        Assert.Equal(1, s.Summary.RareItemEvents);
        Assert.Equal(1, s.Summary.DroppedShort);
        Assert.Equal(1, s.Summary.TruncatedEvents);
        Assert.Equal(2, s.Summary.Users);
        Assert.Equal(2, s.Summary.Items);
    }

    [Fact]
    public void Duplicates_do_not_count_towards_an_items_frequency()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "user,item,ts\nu1,a,1\nu1,a,1\nu1,b,2\nu2,b,1\n", new EventLogOptions { MinItemCount = 2 });
        Assert.Equal(["u1: b", "u2: b"], Sequences(s));
    }

    [Fact]
    public void Pretraining_reads_only_clicks_before_the_split_time()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "user,item,ts\nu1,a,2024-01-01\nu2,x,2024-02-01\nu1,b,2024-01-31T23:59:59.999Z\nu1,c,2024-02-01T00:00:00Z\n",
            new EventLogOptions { UntilMs = EventTimestamp.Parse("2024-02-01", "--until") });
        Assert.Equal(["u1: a b"], Sequences(s)); // u2's only click is at the split: u2 is not a pretraining user
        Assert.Equal(2, s.Summary.Clicks.OutsideSplit);
    }

    [Fact]
    public void Seconds_milliseconds_and_iso_times_mix_in_one_file()
    {
        using var dir = new TempDir();
        var s = Clicks(dir, "user,item,ts\nu1,c,1700000002000\nu1,a,1700000000\nu1,b,2023-11-14T22:13:21Z\n");
        Assert.Equal(["u1: a b c"], Sequences(s));
    }

    [Fact]
    public void Options_that_cannot_be_met_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new EventLogOptions { MinUserLength = 5, MaxLength = 3 }.Validate());
        Assert.Throws<ArgumentException>(() => new EventLogOptions { MinItemCount = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new EventLogOptions { UserColumn = " " }.Validate());
    }
}
