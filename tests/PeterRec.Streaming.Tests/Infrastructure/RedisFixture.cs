using PeterRec.DevBroker;
using StackExchange.Redis;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>
/// The Redis of the test run: PETERREC_TEST_REDIS (set by scripts/test.sh) or a private redis-server started here.
/// Tests share it and stay apart by using a unique key prefix each.
/// </summary>
public sealed class RedisFixture : IDisposable
{
    private readonly LocalRedisServer? _own;

    public RedisFixture()
    {
        var configured = Environment.GetEnvironmentVariable("PETERREC_TEST_REDIS");
        if (string.IsNullOrWhiteSpace(configured))
        {
            _own = LocalRedisServer.Start();
            configured = _own.Configuration;
        }
        Configuration = configured;
        Connection = ConnectionMultiplexer.Connect(configured);
    }

    public string Configuration { get; }

    public IConnectionMultiplexer Connection { get; }

    public static string UniquePrefix() => $"t{Guid.NewGuid():N}"[..17];

    public void Dispose()
    {
        Connection.Dispose();
        _own?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class StreamingCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "streaming";
}
