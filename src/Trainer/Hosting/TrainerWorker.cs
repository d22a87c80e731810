using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Hosting;
using PeterRec.Kafka;

namespace PeterRec.Trainer.Hosting;

/// <summary>Loads the model, then runs the task-events consumer for the lifetime of the host; a fatal consumer error stops the process (exit 1).</summary>
public sealed class TrainerWorker(
    KafkaClientConfigs kafka,
    IKafkaClientFactory clients,
    IOptions<TrainerOptions> options,
    IOptions<TopicOptions> topics,
    TaskEventHandler handler,
    KafkaConsumerRegistry registry,
    KafkaMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<TrainerWorker> logger) : IHostedService
{
    private KafkaConsumeLoop? _loop;
    private IDisposable? _registration;
    private readonly CancellationTokenSource _stopIdle = new();
    private Task _idlePublisher = Task.CompletedTask;

    public IKafkaConsumerStatus? Consumer => _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads);
        await handler.StartAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Trainer {Task} ({Kind}): {Kafka}, topic {Topic}, group {Group}", o.Task, o.EffectiveKind, kafka.Options, topics.Value.TaskEvents, o.EffectiveGroupId);
        _loop = new KafkaConsumeLoop(
            clients,
            kafka.CreateConsumerConfig(o.EffectiveGroupId),
            new KafkaConsumeLoopOptions
            {
                Name = "trainer",
                Topics = [topics.Value.TaskEvents],
                MaxBatchSize = o.BatchEvents,
                MaxBatchDelay = TimeSpan.FromMilliseconds(o.BatchDelayMs),
            },
            handler.HandleAsync,
            logger,
            metrics);
        _registration = registry.StartSupervised(_loop, lifetime);
        _idlePublisher = PublishWhileIdleAsync(_stopIdle.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null) return;
        await _stopIdle.CancelAsync().ConfigureAwait(false);
        await _idlePublisher.ConfigureAwait(false);
        await _loop.StopAsync().ConfigureAwait(false);
        _registration?.Dispose();
    }

    private async Task PublishWhileIdleAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                await handler.PublishIfIdleDueAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // Redis or Kafka away: the pending version stays checkpointed and the next tick or batch retries it.
                logger.LogWarning("Trainer: idle publish failed, will retry: {Error}", e.Message);
            }
        }
    }
}

/// <summary>Ready once the backbone and the checkpoint (if any) are loaded: "model loaded".</summary>
public sealed class TrainerModelHealthCheck(TaskEventHandler handler) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(handler.Learner is { } l
            ? HealthCheckResult.Healthy($"model loaded: task {l.Settings.Task}, step {l.Step}, version {l.Version}")
            : HealthCheckResult.Unhealthy("model not loaded"));
}
