using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>Ready only while Redis answers a PING; a role that cannot write must not claim to be ready.</summary>
public sealed class RedisHealthCheck(RedisConnectionFactory factory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var connection = factory.Connection;
        if (!connection.IsConnected) return HealthCheckResult.Unhealthy($"Redis is not connected: {factory.LastFailure ?? "no connection yet"}");
        try
        {
            var rtt = await connection.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"PING {rtt.TotalMilliseconds:F1} ms");
        }
        catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
        {
            // Without a password Redis accepts the connection and refuses every command: say which it is.
            return HealthCheckResult.Unhealthy(RedisConnectionFactory.IsAuthenticationError(e.Message)
                ? $"Redis {RedisConnectionFactory.Describe(ConnectionFailureType.AuthenticationFailure, e)}"
                : $"Redis PING failed: {e.Message}");
        }
    }
}
