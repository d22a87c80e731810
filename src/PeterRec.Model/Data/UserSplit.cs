namespace PeterRec.Model.Data;

/// <summary>
/// Splits rows (one per user) into train/validation/test, as the paper does (70/3/27). A seeded
/// shuffle picks which users go where; each part keeps the input order, so the result depends only
/// on the rows, the fractions and the seed (System.Random(seed) is the legacy seeded algorithm,
/// stable across .NET versions).
/// </summary>
public static class UserSplit
{
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Valid, IReadOnlyList<T> Test) Split<T>(
        IReadOnlyList<T> rows, double validFraction, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var part = Assign(rows.Count, validFraction, testFraction, seed);
        return Collect(rows, i => part[i]);
    }

    /// <summary>
    /// Splits users that may own several rows (an event log gives one example per label time): the fractions
    /// count users, and all rows of a user go to the same part. A null user is a user of its own, so with
    /// every user distinct this is exactly <see cref="Split{T}(IReadOnlyList{T}, double, double, int)"/>.
    /// </summary>
    public static (IReadOnlyList<T> Train, IReadOnlyList<T> Valid, IReadOnlyList<T> Test) Split<T>(
        IReadOnlyList<T> rows, Func<T, string?> userOf, double validFraction, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(userOf);
        var group = new int[rows.Count];
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var groups = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var user = userOf(rows[i]);
            if (user is null) group[i] = groups++;
            else if (ids.TryGetValue(user, out var g)) group[i] = g;
            else group[i] = ids[user] = groups++;
        }
        var part = Assign(groups, validFraction, testFraction, seed);
        return Collect(rows, i => part[group[i]]);
    }

    /// <summary>0 = train, 1 = valid, 2 = test for each of <paramref name="n"/> users, by a seeded shuffle.</summary>
    private static byte[] Assign(int n, double validFraction, double testFraction, int seed)
    {
        CheckFraction(validFraction, nameof(validFraction));
        CheckFraction(testFraction, nameof(testFraction));
        if (validFraction + testFraction >= 1)
            throw new ArgumentException($"validFraction + testFraction must be below 1 so that some users train, got {validFraction} + {testFraction}");

        var nValid = (int)Math.Round(n * validFraction, MidpointRounding.AwayFromZero);
        var nTest = (int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero);
        if (nValid + nTest > n) nTest = n - nValid;

        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        new Random(seed).Shuffle(order);

        var part = new byte[n];
        for (var i = 0; i < nValid; i++) part[order[i]] = 1;
        for (var i = nValid; i < nValid + nTest; i++) part[order[i]] = 2;
        return part;
    }

    // Assigning then scanning in input order keeps each part ordered.
    private static (IReadOnlyList<T> Train, IReadOnlyList<T> Valid, IReadOnlyList<T> Test) Collect<T>(IReadOnlyList<T> rows, Func<int, byte> partOf)
    {
        var train = new List<T>();
        var valid = new List<T>();
        var test = new List<T>();
        for (var i = 0; i < rows.Count; i++)
            (partOf(i) switch { 1 => valid, 2 => test, _ => train }).Add(rows[i]);
        return (train, valid, test);
    }

    private static void CheckFraction(double f, string name)
    {
        if (double.IsNaN(f) || f < 0 || f >= 1)
            throw new ArgumentOutOfRangeException(name, f, "must be in [0, 1)");
    }
}
