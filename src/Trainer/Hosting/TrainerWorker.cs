using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Hosting;
using PeterRec.Kafka;
using PeterRec.Trainer.Leasing;

namespace PeterRec.Trainer.Hosting;

/// <summary>
/// Takes the task's lease, loads the model, then runs the task-events consumer for the lifetime of the host; a fatal
/// consumer error stops the process (exit 1). A trainer that finds the lease held waits, not ready and not consuming
/// (it would split the task's partitions with the holder), and starts when it gets the lease. A holder that loses the
/// lease stops publishing (the handler and the publish script both refuse), goes not ready and exits 1: its state
/// may be behind the new holder's, so it restarts as a follower from the checkpoint.
/// </summary>
public sealed class TrainerWorker(
    KafkaClientConfigs kafka,
    IKafkaClientFactory clients,
    IOptions<TrainerOptions> options,
    IOptions<TopicOptions> topics,
    TaskEventHandler handler,
    TaskLease lease,
    KafkaConsumerRegistry registry,
    KafkaMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<TrainerWorker> logger) : IHostedService, IAsyncDisposable
{
    private KafkaConsumeLoop? _loop;
    private IDisposable? _registration;
    private readonly CancellationTokenSource _stopIdle = new();
    private Task _idlePublisher = Task.CompletedTask;
    private Task _following = Task.CompletedTask;
    private CancellationTokenRegistration _onLost;

    public IKafkaConsumerStatus? Consumer => _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads);
        if (await lease.TryAcquireAsync().ConfigureAwait(false))
        {
            await LeadAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        logger.LogWarning("Trainer {Task}: another trainer holds the task's lease; waiting (not ready) to take over", o.Task);
        _following = FollowAsync(_stopIdle.Token);
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        try
        {
            await lease.AcquireAsync(ct).ConfigureAwait(false);
            await LeadAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            logger.LogCritical(e, "Trainer {Task}: could not start after taking the lease", options.Value.Task);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private async Task LeadAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
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
        _onLost = lease.LostToken.Register(() =>
        {
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        });
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await StopConsumingAsync().ConfigureAwait(false);
        // After the last checkpoint: a follower that takes over now resumes from it, without waiting for expiry.
        await lease.ReleaseAsync().ConfigureAwait(false);
    }

    private async Task StopConsumingAsync()
    {
        if (!_stopIdle.IsCancellationRequested) await _stopIdle.CancelAsync().ConfigureAwait(false);
        await _following.ConfigureAwait(false);
        await _idlePublisher.ConfigureAwait(false);
        await _onLost.DisposeAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.StopAsync().ConfigureAwait(false);
        _registration?.Dispose();
        _registration = null;
    }

    /// <summary>Without <see cref="StopAsync"/> (a host disposed as if it crashed): stop consuming and renewing, keep the lease until it expires.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopConsumingAsync().ConfigureAwait(false);
        await lease.DisposeAsync().ConfigureAwait(false);
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

/// <summary>Ready only while this trainer holds the task's lease: a follower, or a holder that lost it, takes no traffic.</summary>
public sealed class TrainerLeaseHealthCheck(TaskLease lease) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lease.State switch
        {
            LeaseState.Held => HealthCheckResult.Healthy($"holding the lease of task {lease.TaskName} (fencing token {lease.Token})"),
            LeaseState.Waiting => HealthCheckResult.Unhealthy($"waiting for the lease of task {lease.TaskName}: another trainer holds it"),
            _ => HealthCheckResult.Unhealthy($"the lease of task {lease.TaskName} is {lease.State}"),
        });
}

/// <summary>Ready once the backbone and the checkpoint (if any) are loaded: "model loaded".</summary>
public sealed class TrainerModelHealthCheck(TaskEventHandler handler) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(handler.Learner is { } l
            ? HealthCheckResult.Healthy($"model loaded: task {l.Settings.Task}, step {l.Step}, version {l.Version}")
            : HealthCheckResult.Unhealthy("model not loaded"));
}
