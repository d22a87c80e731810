using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// One shared <see cref="IConnectionMultiplexer"/> per process. <c>abortConnect=false</c>: a role starts even while
/// Redis is down, reports not-ready, and the multiplexer reconnects in the background. Why it is not connected
/// (authentication failed, certificate not trusted, unreachable) is kept for readiness and logged once per change.
/// </summary>
public sealed class RedisConnectionFactory : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer> _connection;
    private RedisTls? _tls;
    private volatile string? _lastFailure;

    public RedisConnectionFactory(IOptions<RedisOptions> options, ILogger<RedisConnectionFactory> logger) =>
        _connection = new(() => Connect(options.Value, logger));

    public IConnectionMultiplexer Connection => _connection.Value;

    /// <summary>Why the connection last failed, in words fit for <c>/readyz</c> and logs (never a secret); null once restored.</summary>
    public string? LastFailure => _tls?.LastRejection is { } tls ? $"TLS: {tls}" : _lastFailure;

    public static ConfigurationOptions BuildConfiguration(RedisOptions o) => BuildConfiguration(o, out _);

    private static ConfigurationOptions BuildConfiguration(RedisOptions o, out RedisTls? tls)
    {
        if (o.TlsFilesProblem() is { } problem) throw new InvalidOperationException(problem);
        var config = ConfigurationOptions.Parse(o.Configuration);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = o.TimeoutMs;
        config.SyncTimeout = o.TimeoutMs;
        config.AsyncTimeout = o.TimeoutMs;
        if (!string.IsNullOrEmpty(o.User)) config.User = o.User;
        if (!string.IsNullOrEmpty(o.Password)) config.Password = o.Password;
        tls = RedisTls.Apply(config, o);
        return config;
    }

    /// <summary>Words for a failure: an authentication failure says so (the server's reply names no secret).</summary>
    public static string Describe(ConnectionFailureType type, Exception? e)
    {
        var message = e?.InnerException?.Message ?? e?.Message ?? "";
        if (IsAuthenticationError(message) || type == ConnectionFailureType.AuthenticationFailure)
            return $"authentication failed (wrong or missing Redis:User / Redis:Password): {Server(message)}";
        return $"{type}: {Server(message)}";
    }

    /// <summary>Redis's replies to a bad or missing AUTH.</summary>
    public static bool IsAuthenticationError(string message) =>
        message.Contains("WRONGPASS", StringComparison.Ordinal) || message.Contains("NOAUTH", StringComparison.Ordinal)
        || message.Contains("invalid password", StringComparison.OrdinalIgnoreCase) || message.Contains("invalid username-password", StringComparison.OrdinalIgnoreCase);

    public void Dispose()
    {
        if (_connection.IsValueCreated) _connection.Value.Dispose();
    }

    // StackExchange.Redis appends its connection state to messages; the first sentence is the reason.
    private static string Server(string message) => message.Split(';', 2)[0].Trim();

    private IConnectionMultiplexer Connect(RedisOptions o, ILogger log)
    {
        var config = BuildConfiguration(o, out _tls);
        // The first connect reports an AUTH refusal only in its log (no ConnectionFailed event follows): read it there.
        using var connectLog = new StringWriter();
        var connection = ConnectionMultiplexer.Connect(config, connectLog);
        if (!connection.IsConnected && AuthenticationReply(connectLog.ToString()) is { } reply)
            _lastFailure = Describe(ConnectionFailureType.AuthenticationFailure, new RedisConnectionException(ConnectionFailureType.AuthenticationFailure, CommandFlags.None, reply, null, CommandStatus.Unknown));
        if (connection.IsConnected) log.LogInformation("Redis {Options}: connected", o);
        else if (LastFailure is { } f && IsRefusal(f))
        {
            LastFailureLogged = f;
            log.LogError("Redis {Options}: connection refused: {Reason}", o, f);
        }
        else log.LogWarning("Redis {Options}: not connected yet{Reason}", o, LastFailure is { } w ? $" ({w})" : "");
        connection.ConnectionFailed += (_, e) => Failed(Describe(e.FailureType, e.Exception), log);
        connection.ConnectionRestored += (_, e) =>
        {
            _lastFailure = null;
            log.LogInformation("Redis connection restored ({Endpoint})", e.EndPoint);
        };
        return connection;
    }

    private void Failed(string reason, ILogger log)
    {
        var full = _tls?.LastRejection is { } tls ? $"TLS: {tls}" : reason;
        var changed = full != LastFailureLogged;
        _lastFailure = reason;
        LastFailureLogged = full;
        // Reconnects repeat the same failure every second or so: log each distinct reason once.
        if (!changed) return;
        if (IsRefusal(full))
            log.LogError("Redis connection refused: {Reason}", full);
        else log.LogWarning("Redis connection failed: {Reason}", full);
    }

    private string? LastFailureLogged { get; set; }

    /// <summary>Failures that only a configuration change cures (credentials, certificates), as opposed to an outage.</summary>
    private static bool IsRefusal(string failure) =>
        failure.StartsWith("TLS:", StringComparison.Ordinal) || failure.StartsWith("authentication failed", StringComparison.Ordinal);

    /// <summary>Redis's refusal (WRONGPASS ..., NOAUTH ...) from a connect log, up to the end of its line; null if none.</summary>
    private static string? AuthenticationReply(string connectLog)
    {
        foreach (var marker in new[] { "WRONGPASS", "NOAUTH" })
        {
            var at = connectLog.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0) return connectLog[at..].Split('\n', 2)[0].Trim();
        }
        return connectLog.Contains("AuthenticationFailure", StringComparison.Ordinal) ? "AuthenticationFailure" : null;
    }
}
