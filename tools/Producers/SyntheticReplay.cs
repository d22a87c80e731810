using PeterRec.Contracts;

namespace PeterRec.Producers;

/// <summary>
/// Synthetic traffic: clicks of random users on skewed item popularity (item k has weight ~ 1/sqrt(k)), and for
/// one click in <c>length</c> a task label, so that users accumulate about <c>length</c> clicks per label.
/// Deterministic for a seed.
/// </summary>
public static class SyntheticReplay
{
    public static IEnumerable<ReplayEvent> Generate(int users, int items, int length, string task, string userPrefix, long startTs, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        var rng = new Random(seed);
        var ts = startTs;
        var total = (long)users * length;
        for (long n = 0; n < total; n++)
        {
            var user = $"{userPrefix}{rng.Next(users)}";
            yield return new ReplayEvent(new ClickEvent(user, $"i{Item(rng, items)}", ts++), null);
            if (rng.Next(length) == 0)
                yield return new ReplayEvent(null, new TaskEvent(user, task, $"i{Item(rng, items)}", ts++));
        }
    }

    // Squaring a uniform draw gives density ~ 1/sqrt(x): a few popular items, a long tail.
    private static int Item(Random rng, int items) => (int)(items * Math.Pow(rng.NextDouble(), 2));
}
