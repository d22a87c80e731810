using System.Text;
using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasured
{
    public const string Name = "memory measured (runs alone)";
}

/// <summary>Memory follows the events kept (compact per-user arrays, interned ids), not one object per row.</summary>
[Collection(MemoryMeasured.Name)]
public class EventLogMemoryTests
{
    private const int Users = 30_000, PerUser = 33;

    /// <summary>A time-ordered log: users interleave, as a real click log does (worst case for per-user appends).</summary>
    private static string WriteLog(TempDir dir)
    {
        var path = dir.File("big.csv");
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("user,item,ts\n");
        for (int j = 0; j < PerUser; j++)
            for (int u = 0; u < Users; u++)
                w.Write($"user{u},item{(u * 31 + j * 7) % 5000},{1_700_000_000_000L + (long)j * Users + u}\n");
        return path;
    }

    [Fact]
    public void The_grouped_store_holds_twelve_bytes_an_event_plus_bounded_growth_slack()
    {
        using var dir = new TempDir();
        var s = ClickSequences.Read(WriteLog(dir), new EventLogOptions());
        const long events = (long)Users * PerUser;
        Assert.Equal(events, s.Summary.Events);
        Assert.Equal(events, s.Store.Events);
        Assert.InRange(s.Store.CapacityEvents, events, events * 3 / 2 + 4L * Users);
        Assert.InRange(s.Store.PeakBytes, 12 * events, 18 * events + 100L * Users);
        s.ToPretrainRows();
        Assert.Equal(0, s.Store.Events); // each user's arrays are freed as its row is made
        Assert.Equal(0, s.Store.CapacityEvents);
    }

    [Fact]
    public void A_million_rows_retain_memory_in_proportion_to_events_not_row_objects()
    {
        using var dir = new TempDir();
        var path = WriteLog(dir);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var s = ClickSequences.Read(path, new EventLogOptions());
        var retained = GC.GetTotalMemory(forceFullCollection: true) - before;
        const long events = (long)Users * PerUser;
        // Store ~17 bytes an event, user table ~100 bytes a user (~20 MB here). One object per row alone would be 32+ MB.
        Assert.True(retained < 24 * events + 200L * Users, $"retained {retained:N0} bytes for {events:N0} rows");
        GC.KeepAlive(s);
    }
}
