using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// One shared <see cref="IConnectionMultiplexer"/> per process. <c>abortConnect=false</c>: a role starts even while
/// Redis is down, reports not-ready, and the multiplexer reconnects in the background.
/// </summary>
public sealed class RedisConnectionFactory(IOptions<RedisOptions> options, ILogger<RedisConnectionFactory> logger) : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer> _connection = new(() => Connect(options.Value, logger));

    public IConnectionMultiplexer Connection => _connection.Value;

    public static ConfigurationOptions BuildConfiguration(RedisOptions o)
    {
        var config = ConfigurationOptions.Parse(o.Configuration);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = o.TimeoutMs;
        config.SyncTimeout = o.TimeoutMs;
        config.AsyncTimeout = o.TimeoutMs;
        if (!string.IsNullOrEmpty(o.Password)) config.Password = o.Password;
        if (o.Ssl) config.Ssl = true;
        return config;
    }

    public void Dispose()
    {
        if (_connection.IsValueCreated) _connection.Value.Dispose();
    }

    private static IConnectionMultiplexer Connect(RedisOptions o, ILogger logger)
    {
        var connection = ConnectionMultiplexer.Connect(BuildConfiguration(o));
        logger.LogInformation("Redis {Options}: connected={Connected}", o, connection.IsConnected);
        connection.ConnectionFailed += (_, e) => logger.LogWarning("Redis connection failed: {Type} {Message}", e.FailureType, e.Exception?.Message);
        connection.ConnectionRestored += (_, e) => logger.LogInformation("Redis connection restored ({Endpoint})", e.EndPoint);
        return connection;
    }
}
