using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// Retry for Redis writes: exponential backoff with jitter on connection and timeout errors. When the attempts are
/// used up the exception reaches the consume loop, which stores no offsets and redelivers the batch later; so while
/// Redis is down nothing is committed that was not written.
/// </summary>
public static class RedisResilience
{
    public static ResiliencePipeline CreateWritePipeline(RedisOptions options, ILogger logger) =>
        new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetryAttempts),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs),
                MaxDelay = TimeSpan.FromSeconds(5),
                ShouldHandle = new PredicateBuilder().Handle<RedisConnectionException>().Handle<RedisTimeoutException>()
                    .Handle<RedisServerException>(e => IsTransient(e.Message)),
                OnRetry = args =>
                {
                    logger.LogWarning("Redis write failed ({Error}); retry {Attempt} in {Delay}",
                        args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            .Build();

    /// <summary>Server replies that clear by themselves (a replica loading, a script busy, failover in progress).</summary>
    private static bool IsTransient(string message) =>
        message.StartsWith("LOADING", StringComparison.Ordinal) || message.StartsWith("BUSY", StringComparison.Ordinal)
        || message.StartsWith("TRYAGAIN", StringComparison.Ordinal) || message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
        || message.StartsWith("READONLY", StringComparison.Ordinal) || message.StartsWith("MASTERDOWN", StringComparison.Ordinal);
}
