using System.Text;
using PeterRec.Contracts;

namespace PeterRec.Streaming.Tests.Contracts;

public class EventParsingTests
{
    private static ParseResult<ClickEvent> Click(string json) => ClickEvent.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Valid_click_round_trips_through_json()
    {
        var click = new ClickEvent("u{1}", "item:7", 1_700_000_000_123);
        Assert.Equal("""{"user":"u{1}","item":"item:7","ts":1700000000123}""", Encoding.UTF8.GetString(click.ToJson()));
        Assert.Equal(click, ClickEvent.Parse(click.ToJson()).Value);
    }

    [Fact]
    public void Unknown_fields_are_ignored_for_forward_compatibility() =>
        Assert.True(Click("""{"user":"u","extra":{"a":[1,2]},"item":"i","ts":1700000000000}""").IsValid);

    [Theory]
    [InlineData("", DeadLetterReason.MalformedJson)]
    [InlineData("not json", DeadLetterReason.MalformedJson)]
    [InlineData("""{"user":"u","item":"i","ts":1700000000000""", DeadLetterReason.MalformedJson)]
    [InlineData("""{"user":"u","item":"i","ts":1700000000000} {}""", DeadLetterReason.MalformedJson)]
    [InlineData("""{"user":"u","user":"v","item":"i","ts":1700000000000}""", DeadLetterReason.MalformedJson)]
    [InlineData("""[1,2]""", DeadLetterReason.WrongType)]
    [InlineData("""{"user":1,"item":"i","ts":1700000000000}""", DeadLetterReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","ts":"1700000000000"}""", DeadLetterReason.WrongType)]
    [InlineData("""{"user":"u","item":"i","ts":1.7e12}""", DeadLetterReason.WrongType)]
    [InlineData("""{"user":"u","ts":1700000000000}""", DeadLetterReason.MissingField)]
    [InlineData("""{"user":"u","item":"i"}""", DeadLetterReason.MissingField)]
    [InlineData("""{"user":"","item":"i","ts":1700000000000}""", DeadLetterReason.InvalidString)]
    [InlineData("""{"user":"u\nv","item":"i","ts":1700000000000}""", DeadLetterReason.InvalidString)]
    [InlineData("""{"user":"u","item":"i","ts":1700000000}""", DeadLetterReason.TimestampOutOfRange)]
    [InlineData("""{"user":"u","item":"i","ts":1700000000000000}""", DeadLetterReason.TimestampOutOfRange)]
    public void Bad_clicks_are_rejected_with_their_reason(string json, DeadLetterReason expected)
    {
        var result = Click(json);
        Assert.False(result.IsValid);
        Assert.Equal(expected, result.Reason);
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
    }

    [Fact]
    public void Overlong_ids_are_rejected()
    {
        var ok = new string('x', EventLimits.MaxIdLength);
        Assert.True(Click($$"""{"user":"{{ok}}","item":"i","ts":1700000000000}""").IsValid);
        var result = Click($$"""{"user":"{{ok}}x","item":"i","ts":1700000000000}""");
        Assert.Equal(DeadLetterReason.InvalidString, result.Reason);
    }

    [Fact]
    public void Invalid_utf8_is_malformed() =>
        Assert.Equal(DeadLetterReason.MalformedJson, ClickEvent.Parse([.. "{\"user\":\""u8, 0xC3, 0x28, .. "\",\"item\":\"i\",\"ts\":1700000000000}"u8]).Reason);

    [Fact]
    public void Task_event_and_changed_user_parse_strictly_too()
    {
        var task = new TaskEvent("u", "rec", "i9", 1_700_000_000_000);
        Assert.Equal(task, TaskEvent.Parse(task.ToJson()).Value);
        Assert.Equal(DeadLetterReason.MissingField, TaskEvent.Parse("""{"user":"u","task":"rec","ts":1700000000000}"""u8).Reason);
        var changed = new ChangedUser("u", 1_700_000_000_000);
        Assert.Equal(changed, ChangedUser.Parse(changed.ToJson()).Value);
        Assert.Equal(DeadLetterReason.WrongType, ChangedUser.Parse("""{"user":"u","ts":null}"""u8).Reason);
    }

    [Fact]
    public void Changed_user_stage_stamps_round_trip_and_a_bad_stamp_is_dropped_without_dead_lettering_the_announcement()
    {
        var stamped = new ChangedUser("u", 1_700_000_000_000, 1_700_000_000_005, 1_700_000_000_030);
        Assert.Equal(stamped, ChangedUser.Parse(stamped.ToJson()).Value);
        var parsed = ChangedUser.Parse("""{"user":"u","ts":1700000000000,"produced":17,"durable":1700000000030}"""u8);
        Assert.True(parsed.IsValid);
        Assert.Null(parsed.Value!.Produced);
        Assert.Equal(1_700_000_000_030, parsed.Value.Durable);
        Assert.Equal(DeadLetterReason.WrongType, ChangedUser.Parse("""{"user":"u","ts":1700000000000,"durable":"x"}"""u8).Reason);
    }

    [Fact]
    public void A_recs_value_carries_its_trace_only_when_it_has_one()
    {
        var trace = new RecsTrace(1_700_000_000_001, 1_700_000_000_020, 1_700_000_000_021, 1_700_000_000_050, 1_700_000_000_052);
        var click = new RecsValue("u", "rec", 3, 10, 1_700_000_000_000, 1_700_000_000_060, [new RecItem("i", 0.5f)], RecsValue.Causes.Click, trace);
        Assert.Equal(trace, RecsValue.Parse(click.ToJson()).Trace);
        Assert.Contains("\"trace\":{\"produced\":1700000000001", System.Text.Encoding.UTF8.GetString(click.ToJson()));
        var rescore = click with { Cause = RecsValue.Causes.Rescore, Trace = null };
        Assert.DoesNotContain("trace", System.Text.Encoding.UTF8.GetString(rescore.ToJson()));
    }
}
