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
