namespace PeterRec.Model.Data.Events;

/// <summary>
/// Events grouped per user as two compact arrays each (times, value ids), appended in file order:
/// 12 bytes an event plus growth slack, and no object per row. Users and values are dense ids handed
/// out by the caller (see <see cref="Vocabulary.Add(ReadOnlySpan{char})"/>), so memory follows the
/// events kept, not the rows read. <see cref="CapacityEvents"/> and <see cref="Bytes"/> count it.
/// </summary>
public sealed class UserEventStore
{
    private const int FirstCapacity = 4;
    private long[][] _times = [];
    private int[][] _values = [];
    private int[] _counts = [];
    private int[] _firstLines = [];

    /// <summary>Users seen (highest user id + 1).</summary>
    public int Users { get; private set; }
    /// <summary>Events held now.</summary>
    public long Events { get; private set; }
    /// <summary>Event slots allocated (held events plus growth slack): at most 1.5 times <see cref="Events"/> plus 4 a user.</summary>
    public long CapacityEvents { get; private set; }
    /// <summary>Bytes the store holds: event slots, and per user two array headers, references and counters.</summary>
    public long Bytes => CapacityEvents * (sizeof(long) + sizeof(int)) + (long)_times.Length * PerUserBytes;
    /// <summary>The most <see cref="Bytes"/> has been.</summary>
    public long PeakBytes { get; private set; }

    private const int PerUserBytes = 2 * 24 + 2 * 8 + 2 * sizeof(int);

    public void Add(int user, int value, long timeMs, int line)
    {
        if (user >= Users) AddUsers(user);
        var n = _counts[user];
        var times = _times[user];
        if (n == times.Length)
        {
            // 1.5x growth: less slack held (a sequence of 30-40 events sits in 42 slots, not 64) for a little more copying.
            var capacity = times.Length == 0 ? FirstCapacity : times.Length + times.Length / 2;
            Array.Resize(ref _times[user], capacity);
            Array.Resize(ref _values[user], capacity);
            CapacityEvents += capacity - times.Length;
            if (n == 0) _firstLines[user] = line;
            Peak();
        }
        _times[user][n] = timeMs;
        _values[user][n] = value;
        _counts[user] = n + 1;
        Events++;
    }

    public int Count(int user) => user < Users ? _counts[user] : 0;

    /// <summary>Line of the user's first event in the file.</summary>
    public int FirstLine(int user) => _firstLines[user];

    public ReadOnlySpan<long> Times(int user) => user < Users ? _times[user].AsSpan(0, _counts[user]) : default;

    public ReadOnlySpan<int> Values(int user) => user < Users ? _values[user].AsSpan(0, _counts[user]) : default;

    /// <summary>Orders the user's events by time, ties in file order, and removes exact duplicates (same value, same time). Returns how many were removed.</summary>
    public int SortAndDedupe(int user)
    {
        var n = Count(user);
        if (n < 2) return 0;
        var times = _times[user].AsSpan(0, n);
        var values = _values[user].AsSpan(0, n);
        if (!IsSorted(times)) StableSort(times, values);
        var kept = 0;
        for (int start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && times[end] == times[start]) end++;
            var runKept = kept;
            // Long runs of one time (day-granular logs) get a set instead of a quadratic scan.
            var seen = end - start > 32 ? new HashSet<int>() : null;
            for (int i = start; i < end; i++)
            {
                var duplicate = seen is null ? values.Slice(runKept, kept - runKept).Contains(values[i]) : !seen.Add(values[i]);
                if (duplicate) continue; // same value at the same time
                times[kept] = times[i];
                values[kept] = values[i];
                kept++;
            }
            start = end;
        }
        return Shrink(user, kept);
    }

    /// <summary>Removes the user's events whose value is flagged in <paramref name="drop"/>, keeping order. Returns how many were removed.</summary>
    public int RemoveValues(int user, bool[] drop)
    {
        var n = Count(user);
        var times = _times[user];
        var values = _values[user];
        var kept = 0;
        for (int i = 0; i < n; i++)
        {
            if (drop[values[i]]) continue;
            times[kept] = times[i];
            values[kept] = values[i];
            kept++;
        }
        return Shrink(user, kept);
    }

    /// <summary>Keeps the user's <paramref name="max"/> most recent events (the store must be sorted). Returns how many were removed.</summary>
    public int KeepLast(int user, int max)
    {
        var n = Count(user);
        if (n <= max) return 0;
        _times[user].AsSpan(n - max, max).CopyTo(_times[user]);
        _values[user].AsSpan(n - max, max).CopyTo(_values[user]);
        return Shrink(user, max);
    }

    /// <summary>Frees the user's arrays once they have been turned into output.</summary>
    public void Release(int user)
    {
        if (user >= Users) return;
        Events -= _counts[user];
        CapacityEvents -= _times[user].Length;
        _times[user] = [];
        _values[user] = [];
        _counts[user] = 0;
    }

    private int Shrink(int user, int kept)
    {
        var removed = _counts[user] - kept;
        _counts[user] = kept;
        Events -= removed;
        return removed;
    }

    private static bool IsSorted(ReadOnlySpan<long> times)
    {
        for (int i = 1; i < times.Length; i++)
            if (times[i] < times[i - 1]) return false;
        return true;
    }

    /// <summary>Sorts by time; events with equal times keep their file order (their original positions).</summary>
    private static void StableSort(Span<long> times, Span<int> values)
    {
        var n = times.Length;
        var keys = times.ToArray();
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Array.Sort(keys, order);
        for (int start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start]) end++;
            if (end - start > 1) Array.Sort(order, start, end - start);
            start = end;
        }
        var oldValues = values.ToArray();
        for (int i = 0; i < n; i++)
        {
            times[i] = keys[i];
            values[i] = oldValues[order[i]];
        }
    }

    private void AddUsers(int user)
    {
        if (user >= _times.Length)
        {
            var capacity = Math.Max(user + 1, Math.Max(16, _times.Length * 2));
            var old = _times.Length;
            Array.Resize(ref _times, capacity);
            Array.Resize(ref _values, capacity);
            Array.Resize(ref _counts, capacity);
            Array.Resize(ref _firstLines, capacity);
            for (int u = old; u < capacity; u++)
            {
                _times[u] = [];
                _values[u] = [];
            }
        }
        Users = user + 1;
    }

    private void Peak()
    {
        var b = Bytes;
        if (b > PeakBytes) PeakBytes = b;
    }
}
