namespace PeterRec.Model.Data.Events;

/// <summary>The item-frequency filter over a grouped store, and the counts the summaries report.</summary>
internal static class SequenceFilters
{
    /// <summary>Removes events of values seen fewer than <paramref name="minCount"/> times in the store; returns the events removed.</summary>
    public static long DropRareItems(UserEventStore store, int valueCount, int minCount)
    {
        if (minCount <= 1) return 0;
        var counts = Counts(store, valueCount);
        var drop = new bool[valueCount];
        var any = false;
        for (int v = 0; v < valueCount; v++)
            if (counts[v] < minCount) drop[v] = any = true;
        if (!any) return 0;
        long removed = 0;
        for (int u = 0; u < store.Users; u++) removed += store.RemoveValues(u, drop);
        return removed;
    }

    public static int DistinctValues(UserEventStore store, int valueCount) => Counts(store, valueCount).Count(c => c > 0);

    private static long[] Counts(UserEventStore store, int valueCount)
    {
        var counts = new long[valueCount];
        for (int u = 0; u < store.Users; u++)
            foreach (var v in store.Values(u)) counts[v]++;
        return counts;
    }
}
