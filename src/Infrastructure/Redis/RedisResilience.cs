using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// Retry for Redis writes: exponential backoff with jitter on connection and timeout errors. When the attempts are
/// used up the exception reaches the consume loop, which stores no offsets and redelivers the batch later; so while
/// Redis is down nothing is committed that was not written. Every attempt is timed and every retry counted
/// (<see cref="RedisMetrics"/>).
/// </summary>
public static class RedisResilience
{
    public static ResiliencePipeline CreateWritePipeline(RedisOptions options, ILogger logger, RedisMetrics metrics) =>
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
                    metrics.RecordRetry(RedisMetrics.Write);
                    logger.LogWarning("Redis write failed ({Error}); retry {Attempt} in {Delay}",
                        args.Outcome.Exception?.Message, args.AttemptNumber + 1, args.RetryDelay);
                    return default;
                },
            })
            // Inside the retry, so each attempt is measured on its own.
            .AddStrategy(_ => new AttemptMetricsStrategy(metrics, RedisMetrics.Write), new AttemptMetricsOptions())
            .Build();

    /// <summary>Server replies that clear by themselves (a replica loading, a script busy, failover in progress).</summary>
    private static bool IsTransient(string message) =>
        message.StartsWith("LOADING", StringComparison.Ordinal) || message.StartsWith("BUSY", StringComparison.Ordinal)
        || message.StartsWith("TRYAGAIN", StringComparison.Ordinal) || message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
        || message.StartsWith("READONLY", StringComparison.Ordinal) || message.StartsWith("MASTERDOWN", StringComparison.Ordinal);

    private sealed class AttemptMetricsOptions : ResilienceStrategyOptions;

    private sealed class AttemptMetricsStrategy(RedisMetrics metrics, string operation) : ResilienceStrategy
    {
        protected override async ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
            Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
        {
            var start = Stopwatch.GetTimestamp();
            var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
            // A cancelled attempt (shutdown, revoked partitions) says nothing about Redis.
            if (outcome.Exception is not OperationCanceledException)
                metrics.RecordAttempt(operation, Stopwatch.GetElapsedTime(start), outcome.Exception);
            return outcome;
        }
    }
}
