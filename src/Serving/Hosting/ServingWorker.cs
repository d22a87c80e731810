using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Hosting;
using PeterRec.Kafka;
using PeterRec.Serving.Scoring;

namespace PeterRec.Serving.Hosting;

/// <summary>
/// Runs the Serving role: loads published versions, consumes changed users (shared group), and watches for new versions
/// two ways: announcements on the patches topic (every partition from its end, without a consumer group, since every
/// server needs every announcement from now on and none is left behind on the broker) and a poll of the latest pointers every <see cref="ServingOptions.PatchPollMs"/>
/// (covers announcements missed while starting or lost). A fatal consumer error stops the process (exit 1).
/// </summary>
public sealed class ServingWorker(
    KafkaClientConfigs kafka,
    IKafkaClientFactory clients,
    IOptions<ServingOptions> options,
    IOptions<TopicOptions> topics,
    ChangedUserHandler handler,
    BackgroundScorer background,
    DeadLetterSink deadLetters,
    VersionRegistry versions,
    KafkaConsumerRegistry registry,
    KafkaMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ServingWorker> logger) : IHostedService
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(KafkaConsumeLoop Loop, IDisposable Registration)> _loops = [];
    private Task? _poller;
    private Task? _background;

    public IKafkaConsumerStatus? Consumer => _loops.Count > 0 ? _loops[0].Loop : null;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Threads > 0) TorchSharp.torch.set_num_threads(o.Threads);
        await RefreshAllAsync().ConfigureAwait(false);
        Start(new KafkaConsumeLoop(
            clients,
            kafka.CreateConsumerConfig(o.GroupId),
            new KafkaConsumeLoopOptions
            {
                Name = "serving", Topics = [topics.Value.ChangedUsers],
                MaxBatchSize = o.MaxBatchSize, MaxBatchDelay = TimeSpan.FromMilliseconds(o.MaxBatchDelayMs),
            },
            handler.HandleAsync, logger, metrics));
        // What was published before this start is read from Redis above (RefreshAllAsync) and by the poll below.
        Start(new KafkaConsumeLoop(
            clients,
            kafka.CreateGrouplessConsumerConfig($"{o.GroupId}-patches"),
            new KafkaConsumeLoopOptions { Name = "serving-patches", Topics = [topics.Value.Patches], MaxBatchSize = 100, GrouplessFromEnd = true },
            OnAnnouncementsAsync, logger, metrics));
        _poller = PollAsync(_stop.Token);
        _background = Task.Run(() => background.RunAsync(_stop.Token));
        logger.LogInformation("Serving tasks {Tasks}: {Kafka}, changed users from {Topic} as group {Group}", string.Join(",", o.Tasks), kafka.Options, topics.Value.ChangedUsers, o.GroupId);
    }

    private void Start(KafkaConsumeLoop loop) => _loops.Add((loop, registry.StartSupervised(loop, lifetime)));

    private async Task OnAnnouncementsAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        var tasks = new HashSet<string>(StringComparer.Ordinal);
        var deliveries = new List<Task>();
        foreach (var r in batch)
        {
            var note = VersionAnnouncement.Parse(r.Message.Value ?? []);
            if (note.IsValid)
            {
                if (options.Value.Tasks.Contains(note.Value!.Task)) tasks.Add(note.Value.Task);
                continue;
            }
            // Every server reads every announcement (a private group each), so each one dead-letters a bad one: with N
            // servers the dead-letter topic gets N copies, told apart by nothing but arrival (at-least-once anyway).
            metrics.RecordError("serving", "invalid_announcement");
            logger.LogWarning("Serving: invalid announcement {Position} sent to the dead-letter topic ({Kind})", r.TopicPartitionOffset, note.Reason.ToKind());
            deliveries.Add(deadLetters.SendAsync("serving", r, note.Reason, note.Detail!, ct));
        }
        await Task.WhenAll(deliveries).ConfigureAwait(false);
        foreach (var task in tasks) await versions.RefreshAsync(task).ConfigureAwait(false);
    }

    private async Task PollAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.PatchPollMs));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false)) await RefreshAllAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private async Task RefreshAllAsync()
    {
        foreach (var task in options.Value.Tasks)
        {
            try
            {
                await versions.RefreshAsync(task).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                metrics.RecordError("serving", "patch_poll");
                logger.LogWarning("Serving: could not check task {Task}'s latest version: {Reason}", task, e.Message);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_poller is not null) await _poller.ConfigureAwait(false);
        if (_background is not null) await _background.ConfigureAwait(false);
        foreach (var (loop, registration) in _loops)
        {
            await loop.StopAsync().ConfigureAwait(false);
            registration.Dispose();
        }
    }
}

/// <summary>Ready once every task has a validated version in service ("model loaded").</summary>
public sealed class ServingModelHealthCheck(IOptions<ServingOptions> options, VersionRegistry versions) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = options.Value.Tasks.Where(t => versions.Current(t) is null).ToList();
        var loaded = string.Join(", ", options.Value.Tasks.Select(t => $"{t}=v{versions.Current(t)?.Version.ToString() ?? "-"}"));
        return Task.FromResult(missing.Count == 0
            ? HealthCheckResult.Healthy($"model loaded: {loaded}")
            : HealthCheckResult.Unhealthy($"no version yet for {string.Join(", ", missing)} ({loaded})"));
    }
}
