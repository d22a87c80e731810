using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Ingest.Pipeline;
using PeterRec.Ingest.Recovery;

namespace PeterRec.Ingest.Hosting;

/// <summary>Runs the clicks consumer for the lifetime of the host; a fatal consumer error stops the process (exit 1).</summary>
public sealed class IngestWorker(
    KafkaClientConfigs kafka,
    IKafkaClientFactory clients,
    IOptions<IngestOptions> options,
    IOptions<TopicOptions> topics,
    ClickBatchHandler handler,
    RedisLossGuard guard,
    KafkaConsumerRegistry registry,
    KafkaMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<IngestWorker> logger) : IHostedService
{
    private KafkaConsumeLoop? _loop;
    private IDisposable? _registration;
    private readonly CancellationTokenSource _stop = new();
    private Task? _checker;

    /// <summary>The running consumer (null before start), e.g. to watch <see cref="IKafkaConsumerStatus.ProcessedRecords"/>.</summary>
    public IKafkaConsumerStatus? Consumer => _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        logger.LogInformation("Ingest: {Kafka}, clicks topic {Topic}, window size {WindowSize}", kafka.Options, topics.Value.Clicks, o.WindowSize);
        _loop = new KafkaConsumeLoop(
            clients,
            kafka.CreateConsumerConfig(o.GroupId),
            new KafkaConsumeLoopOptions
            {
                Name = "ingest",
                Topics = [topics.Value.Clicks],
                MaxBatchSize = o.MaxBatchSize,
                MaxBatchDelay = TimeSpan.FromMilliseconds(o.MaxBatchDelayMs),
            },
            handler.HandleAsync,
            logger,
            metrics);
        _registration = registry.StartSupervised(_loop, lifetime);
        _checker = Task.Run(() => CheckRedisAsync(_loop, _stop.Token));
        return Task.CompletedTask;
    }

    private async Task CheckRedisAsync(KafkaConsumeLoop loop, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.RedisCheckSeconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await guard.CheckAsync([.. loop.Assignment.Select(tp => tp.Partition.Value)], ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or Confluent.Kafka.KafkaException)
                {
                    logger.LogWarning("Ingest: Redis window check failed: {Reason}", e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_checker is not null) await _checker.ConfigureAwait(false);
        await _loop.StopAsync().ConfigureAwait(false);
        _registration?.Dispose();
    }
}
