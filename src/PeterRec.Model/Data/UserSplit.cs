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
        CheckFraction(validFraction, nameof(validFraction));
        CheckFraction(testFraction, nameof(testFraction));
        if (validFraction + testFraction >= 1)
            throw new ArgumentException($"validFraction + testFraction must be below 1 so that some users train, got {validFraction} + {testFraction}");

        var n = rows.Count;
        var nValid = (int)Math.Round(n * validFraction, MidpointRounding.AwayFromZero);
        var nTest = (int)Math.Round(n * testFraction, MidpointRounding.AwayFromZero);
        if (nValid + nTest > n) nTest = n - nValid;

        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        new Random(seed).Shuffle(order);

        // 0 = train, 1 = valid, 2 = test; assigning then scanning in input order keeps each part ordered.
        var part = new byte[n];
        for (var i = 0; i < nValid; i++) part[order[i]] = 1;
        for (var i = nValid; i < nValid + nTest; i++) part[order[i]] = 2;

        var train = new List<T>(n - nValid - nTest);
        var valid = new List<T>(nValid);
        var test = new List<T>(nTest);
        for (var i = 0; i < n; i++)
            (part[i] switch { 1 => valid, 2 => test, _ => train }).Add(rows[i]);
        return (train, valid, test);
    }

    private static void CheckFraction(double f, string name)
    {
        if (double.IsNaN(f) || f < 0 || f >= 1)
            throw new ArgumentOutOfRangeException(name, f, "must be in [0, 1)");
    }
}
