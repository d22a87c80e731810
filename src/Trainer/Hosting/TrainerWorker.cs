using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Common.Contracts;
using PeterRec.Common.Hosting;
using PeterRec.Common.Kafka;

namespace PeterRec.Trainer.Hosting;

/// <summary>Loads the model, then runs the task-events consumer for the lifetime of the host; a fatal consumer error stops the process (exit 1).</summary>
public sealed class TrainerWorker(
    KafkaClientFactory kafka,
    IOptions<TrainerOptions> options,
    IOptions<TopicOptions> topics,
    TaskEventHandler handler,
    KafkaConsumerRegistry registry,
    PeterRecMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<TrainerWorker> logger) : IHostedService
{
    private KafkaConsumeLoop? _loop;
    private IDisposable? _registration;

    public IKafkaConsumerStatus? Consumer => _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads);
        await handler.StartAsync(cancellationToken).ConfigureAwait(false);
        logger.LogInformation("Trainer {Task} ({Kind}): {Kafka}, topic {Topic}, group {Group}", o.Task, o.EffectiveKind, kafka.Options, topics.Value.TaskEvents, o.EffectiveGroupId);
        _loop = new KafkaConsumeLoop(
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
        _registration = registry.Register(_loop);
        _loop.Start();
        _ = _loop.Completion.ContinueWith(t =>
        {
            if (!t.IsFaulted) return;
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }, TaskScheduler.Default);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null) return;
        await _loop.StopAsync().ConfigureAwait(false);
        _registration?.Dispose();
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
