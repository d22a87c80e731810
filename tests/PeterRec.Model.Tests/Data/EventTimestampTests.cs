using PeterRec.Model.Data;
using PeterRec.Model.Data.Events;

namespace PeterRec.Model.Tests.Data;

public class EventTimestampTests
{
    [Theory]
    [InlineData("1700000000", 1_700_000_000_000)]            // unix seconds
    [InlineData("1700000000.25", 1_700_000_000_250)]         // seconds with a fraction, kept to the ms
    [InlineData("1700000000123", 1_700_000_000_123)]         // unix milliseconds
    [InlineData("1700000000123.9", 1_700_000_000_123)]       // sub-millisecond digits dropped
    [InlineData("0", 0)]
    [InlineData("100000000000", 100_000_000_000)]            // 10^11: milliseconds (1973-03-03)
    [InlineData("874965758", 874_965_758_000)]               // MovieLens-100k: seconds in 1997
    [InlineData("2024-05-01T12:00:00Z", 1_714_564_800_000)]
    [InlineData("2024-05-01T14:00:00+02:00", 1_714_564_800_000)]
    [InlineData("2024-05-01 12:00:00", 1_714_564_800_000)]   // no zone: UTC
    [InlineData("2024-05-01T12:00:00.5Z", 1_714_564_800_500)]
    [InlineData("2024-05-01", 1_714_521_600_000)]
    [InlineData(" 1700000000 ", 1_700_000_000_000)]
    public void Each_form_reads_as_unix_milliseconds(string text, long expected)
    {
        Assert.True(EventTimestamp.TryParse(text, out var ms), text);
        Assert.Equal(expected, ms);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-5")]                       // before 1970
    [InlineData("1700000000000000")]         // microseconds: out of range, not misread
    [InlineData("4102444800000")]            // 2100-01-01: the first time refused
    [InlineData("1.7e9")]
    [InlineData("12abc")]
    [InlineData("1700000000.")]
    [InlineData("2024-13-01")]
    [InlineData("2024-05-01Tnoon")]
    [InlineData("May 1 2024")]
    [InlineData("1969-12-31T23:59:59Z")]
    public void Anything_else_is_refused(string text) => Assert.False(EventTimestamp.TryParse(text, out _), text);

    [Fact]
    public void The_unit_rule_splits_at_ten_to_the_eleven()
    {
        Assert.False(EventTimestamp.TryParse("99999999999", out _)); // the largest seconds value: year 5138, out of range
        Assert.True(EventTimestamp.TryParse("4102444799", out var lastSecond));
        Assert.Equal(4_102_444_799_000, lastSecond);
        Assert.True(EventTimestamp.TryParse("100000000000", out var firstMs));
        Assert.Equal(100_000_000_000, firstMs);
    }

    [Fact]
    public void A_command_line_time_names_the_option_when_refused()
    {
        Assert.Equal(1_714_564_800_000, EventTimestamp.Parse("2024-05-01T12:00:00Z", "--until"));
        var e = Assert.Throws<ArgumentException>(() => EventTimestamp.Parse("yesterday", "--until"));
        Assert.StartsWith("--until 'yesterday': expected a timestamp", e.Message);
    }
}
