using PeterRec.Contracts;
using PeterRec.Redis;

namespace PeterRec.Streaming.Tests.Contracts;

public class RedisKeysTests
{
    private readonly RedisKeys _keys = new("peterrec");

    [Fact]
    public void Layout_uses_hash_tags_per_user_and_task()
    {
        Assert.Equal("peterrec:{u:alice}:window", (string)_keys.Window("alice")!);
        Assert.Equal("peterrec:{u:alice}:recs:rec", (string)_keys.Recs("alice", "rec")!);
        Assert.Equal("peterrec:{u:alice}:rep:rec", (string)_keys.Rep("alice", "rec")!);
        Assert.Equal("peterrec:{t:rec}:patch:12", (string)_keys.Version("rec", 12)!);
        Assert.Equal("peterrec:{t:rec}:patch:latest", (string)_keys.LatestVersion("rec")!);
    }

    [Theory]
    [InlineData("a}b", "a%7Db")]
    [InlineData("{x}", "%7Bx%7D")]
    [InlineData("100%", "100%25")]
    [InlineData("a:b c", "a:b c")]
    public void Braces_and_percent_in_ids_are_escaped_so_the_hash_tag_cannot_move(string user, string escaped)
    {
        var key = (string)_keys.Window(user)!;
        Assert.Equal($"peterrec:{{u:{escaped}}}:window", key);
        // Redis hashes the text between the first '{' and the next '}': it must be exactly the escaped user.
        var open = key.IndexOf('{');
        Assert.Equal($"u:{escaped}", key[(open + 1)..key.IndexOf('}', open)]);
        Assert.Equal(user, RedisKeys.Unescape(escaped));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a\nb")]
    public void Invalid_ids_are_refused(string user) => Assert.Throws<ArgumentException>(() => _keys.Window(user));

    [Fact]
    public void Window_entries_keep_colons_in_items()
    {
        var entry = new WindowEntry("shop:42:red", 1_700_000_000_000);
        Assert.Equal("1700000000000:shop:42:red", entry.Encode());
        Assert.Equal(entry, WindowEntry.Decode(entry.Encode()));
        Assert.Throws<FormatException>(() => WindowEntry.Decode("x:y"));
    }
}
