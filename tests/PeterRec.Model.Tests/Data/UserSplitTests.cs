using PeterRec.Model.Data;

namespace PeterRec.Model.Tests.Data;

public class UserSplitTests
{
    private static readonly int[] Rows = Enumerable.Range(0, 1000).ToArray();

    [Fact]
    public void Parts_have_the_requested_sizes_and_cover_every_user_exactly_once()
    {
        var (train, valid, test) = UserSplit.Split(Rows, 0.03, 0.27, seed: 1);
        Assert.Equal(700, train.Count);
        Assert.Equal(30, valid.Count);
        Assert.Equal(270, test.Count);
        Assert.Equal(Rows, train.Concat(valid).Concat(test).Order());
        Assert.Empty(train.Intersect(test));
        Assert.Empty(train.Intersect(valid));
        Assert.Empty(valid.Intersect(test));
    }

    [Fact]
    public void Each_part_keeps_input_order()
    {
        var (train, valid, test) = UserSplit.Split(Rows, 0.1, 0.2, seed: 3);
        Assert.Equal(train.Order(), train);
        Assert.Equal(valid.Order(), valid);
        Assert.Equal(test.Order(), test);
    }

    [Fact]
    public void Same_seed_gives_the_same_split_and_another_seed_a_different_one()
    {
        var a = UserSplit.Split(Rows, 0.03, 0.27, seed: 5);
        var b = UserSplit.Split(Rows, 0.03, 0.27, seed: 5);
        var c = UserSplit.Split(Rows, 0.03, 0.27, seed: 6);
        Assert.Equal(a.Test, b.Test);
        Assert.Equal(a.Valid, b.Valid);
        Assert.NotEqual(a.Test, c.Test);
    }

    [Fact]
    public void Split_is_random_not_a_block_of_the_file()
    {
        var (_, _, test) = UserSplit.Split(Rows, 0.0, 0.5, seed: 2);
        // A contiguous slice would put all test users in one half; a shuffle spreads them.
        Assert.InRange(test.Count(r => r < 500), 200, 300);
    }

    [Theory]
    [InlineData(-0.1, 0.2)]
    [InlineData(0.2, 1.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(double.NaN, 0.1)]
    public void Invalid_fractions_are_rejected(double valid, double test) =>
        Assert.ThrowsAny<ArgumentException>(() => UserSplit.Split(Rows, valid, test, seed: 1));

    [Fact]
    public void Empty_input_gives_empty_parts()
    {
        var (train, valid, test) = UserSplit.Split(Array.Empty<int>(), 0.03, 0.27, seed: 1);
        Assert.Empty(train);
        Assert.Empty(valid);
        Assert.Empty(test);
    }
}

public class UserSplitByUserTests
{
    [Fact]
    public void Rows_without_a_user_split_exactly_as_before()
    {
        var rows = Enumerable.Range(0, 500).ToArray();
        var plain = UserSplit.Split(rows, 0.03, 0.27, seed: 5);
        var byUser = UserSplit.Split(rows, _ => null, 0.03, 0.27, seed: 5);
        Assert.Equal(plain.Train, byUser.Train);
        Assert.Equal(plain.Valid, byUser.Valid);
        Assert.Equal(plain.Test, byUser.Test);
        var distinct = UserSplit.Split(rows, r => $"u{r}", 0.03, 0.27, seed: 5);
        Assert.Equal(plain.Test, distinct.Test);
    }

    [Fact]
    public void All_rows_of_a_user_land_in_one_part_and_the_fractions_count_users()
    {
        // 300 users with 1..4 rows each.
        var rows = Enumerable.Range(0, 300).SelectMany(u => Enumerable.Range(0, 1 + u % 4).Select(k => (User: $"u{u}", K: k))).ToArray();
        var (train, valid, test) = UserSplit.Split(rows, r => r.User, 0.1, 0.2, seed: 2);
        Assert.Equal(rows.Length, train.Count + valid.Count + test.Count);
        var parts = new[] { train, valid, test }.Select(p => p.Select(r => r.User).ToHashSet()).ToArray();
        Assert.Empty(parts[0].Intersect(parts[1]));
        Assert.Empty(parts[0].Intersect(parts[2]));
        Assert.Empty(parts[1].Intersect(parts[2]));
        Assert.Equal(30, parts[1].Count);
        Assert.Equal(60, parts[2].Count);
    }
}
