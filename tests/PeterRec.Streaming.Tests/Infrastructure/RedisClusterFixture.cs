using PeterRec.DevBroker;
using StackExchange.Redis;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>A private Redis Cluster (3 masters, 3 replicas on loopback) for the tests that prove every script stays in one slot.</summary>
public sealed class RedisClusterFixture : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"peterrec-cluster-{Guid.NewGuid():N}");

    public RedisClusterFixture()
    {
        Cluster = LocalRedisCluster.Start(_dir);
        Connection = ConnectionMultiplexer.Connect(Cluster.Configuration);
    }

    public LocalRedisCluster Cluster { get; }

    public IConnectionMultiplexer Connection { get; }

    public string Configuration => Cluster.Configuration;

    public void Dispose()
    {
        Connection.Dispose();
        Cluster.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class RedisClusterCollection : ICollectionFixture<RedisClusterFixture>
{
    public const string Name = "redis-cluster";
}
