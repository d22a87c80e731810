using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Contracts;
using PeterRec.Kafka;
using PeterRec.Model.Storage;
using PeterRec.Redis;
using PeterRec.Trainer.Leasing;
using PeterRec.Trainer.Online;
using PeterRec.Trainer.Publishing;

namespace PeterRec.Trainer.Hosting;

/// <summary>
/// One consumed batch of task events: join with click windows, score-then-train, checkpoint, publish when due
/// (the decisions are <see cref="PublishPolicy"/>'s; this class carries them out).
/// </summary>
/// <remarks>
/// Delivery: the consume loop stores a batch's offsets only after this returns, and this returns only after the
/// checkpoint covering the batch is on disk (fsync + rename). The checkpoint also records, per partition, the next
/// offset it covers; records below it are skipped, so a batch redelivered after a crash (checkpoint written, offsets
/// not yet committed) is not trained twice. If the checkpoint directory is lost, training restarts from fresh task weights
/// at the committed offsets.
/// Versions: raised and checkpointed first, then published; if publishing fails the batch is retried and the pending
/// version is published (from the checkpointed state) before anything new is trained.
/// Windows are read as they are now and cut to the clicks at or before the event's ts ("as of that moment"; a click
/// that has already scrolled out of a full window is gone).
/// </remarks>
public sealed class TaskEventHandler(
    IOptions<TrainerOptions> options,
    WindowStore windows,
    VersionPublisher publisher,
    TaskLease lease,
    DeadLetterSink deadLetters,
    TrainerMetrics metrics,
    ILogger<TaskEventHandler> logger) : IDisposable
{
    private readonly TrainerOptions _o = options.Value;
    private readonly Dictionary<string, long> _covered = new(StringComparer.Ordinal);
    // Batches (consume thread) and the idle publish timer both touch the learner.
    private readonly SemaphoreSlim _exclusive = new(1, 1);
    private OnlineLearner? _learner;
    private PublishPolicy? _policy;
    private (long Version, byte[] Value)? _pendingValue;

    public OnlineLearner? Learner => _learner;

    public string CheckpointPath => LearnerCheckpoint.PathFor(_o.CheckpointDir, _o.Task);

    /// <summary>Loads the backbone and, if present, the checkpoint; publishes a version the checkpoint has but Redis lacks.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        var learner = OnlineLearner.Create(_o.ToLearnerSettings(), _o.BackboneDir);
        if (File.Exists(CheckpointPath))
        {
            var header = LearnerCheckpoint.Load(CheckpointPath, learner);
            foreach (var (tp, next) in header.Offsets) _covered[tp] = next;
            logger.LogInformation("Trainer {Task}: resumed from {Path} at step {Step}, version {Version}, {Labels} targets",
                _o.Task, CheckpointPath, learner.Step, learner.Version, learner.Targets.Count);
        }
        else
        {
            logger.LogInformation("Trainer {Task}: no checkpoint at {Path}; starting from fresh task weights over {Backbone}", _o.Task, CheckpointPath, _o.BackboneDir);
        }
        var policy = new PublishPolicy(learner, new PublishRules(_o.PublishEverySteps, _o.PublishEverySeconds));
        var latest = await publisher.LatestAsync(_o.Task).ConfigureAwait(false);
        // Taking over from a trainer whose checkpoint this one does not have: number on from what serving has.
        learner.ContinueAfter(latest);
        policy.Resume(latest);
        _learner = learner;
        _policy = policy;
        metrics.Track(learner);
        // Also when the pointer names the checkpoint's own number: a rollback may have taken it while this process was down.
        await FollowRollbackAsync(always: true).ConfigureAwait(false);
        await PublishPendingAsync(ct).ConfigureAwait(false);
        await LoadBaselineAsync(policy.PublishedVersion).ConfigureAwait(false);
    }

    /// <summary>The publish gate compares with what serving has: the latest published version, read back from Redis.</summary>
    private async Task LoadBaselineAsync(long version)
    {
        if (version == 0) return;
        var what = $"version {_o.Task} v{version}";
        try
        {
            var value = await publisher.ReadAsync(_o.Task, version).ConfigureAwait(false);
            if (value is null) { logger.LogWarning("Trainer {Task}: published version {Version} is gone from Redis; the publish gate has no baseline until the next publish", _o.Task, version); return; }
            _learner!.SetPublishedBaseline(PublishedVersion.Read(value, what).Tensors, what);
        }
        catch (InvalidDataException e)
        {
            logger.LogWarning("Trainer {Task}: cannot use published version {Version} as the gate's baseline: {Error}", _o.Task, version, e.Message);
        }
    }

    public async Task HandleAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        await _exclusive.WaitAsync(ct).ConfigureAwait(false);
        try { await HandleExclusiveAsync(batch, ct).ConfigureAwait(false); }
        finally { _exclusive.Release(); }
    }

    /// <summary>
    /// Publishes steps trained since the last version once <c>PublishEverySeconds</c> have passed, also when no
    /// batch arrives (otherwise the last steps of a stream that went quiet would never reach serving). Skips the
    /// tick if a batch is being handled; that batch checks the same condition.
    /// </summary>
    public async Task PublishIfIdleDueAsync(CancellationToken ct)
    {
        if (_learner is not { } learner || _policy is not { } policy || !await _exclusive.WaitAsync(0, ct).ConfigureAwait(false)) return;
        try
        {
            await FollowRollbackAsync().ConfigureAwait(false);
            await PublishPendingAsync(ct).ConfigureAwait(false);
            if (!Versioned(policy.WhenIdle())) return;
            LearnerCheckpoint.Save(CheckpointPath, learner, _covered);
            await PublishPendingAsync(ct).ConfigureAwait(false);
        }
        finally { _exclusive.Release(); }
    }

    private async Task HandleExclusiveAsync(IReadOnlyList<ConsumeResult<string, byte[]>> batch, CancellationToken ct)
    {
        var learner = _learner ?? throw new InvalidOperationException("the trainer has not started");
        var policy = _policy!;
        await FollowRollbackAsync().ConfigureAwait(false);
        await PublishPendingAsync(ct).ConfigureAwait(false);

        var events = new List<TaskEvent>(batch.Count);
        long redelivered = 0, invalid = 0, otherTask = 0;
        var deliveries = new List<Task>();
        foreach (var r in batch)
        {
            if (r.Offset.Value < _covered.GetValueOrDefault(Key(r.TopicPartition))) { redelivered++; continue; }
            var parsed = TaskEvent.Parse(r.Message.Value);
            if (!parsed.IsValid)
            {
                invalid++;
                deliveries.Add(deadLetters.SendAsync("trainer", r, parsed.Reason, parsed.Detail!, ct));
                continue;
            }
            if (parsed.Value!.Task != _o.Task) { otherTask++; continue; }
            events.Add(parsed.Value);
        }
        metrics.Event(_o.Task, "redelivered", redelivered);
        metrics.Event(_o.Task, "invalid", invalid);
        metrics.Event(_o.Task, "other_task", otherTask);
        if (invalid > 0) metrics.Shared.RecordError("trainer", "invalid_event", invalid);
        if (invalid > 0) logger.LogWarning("Trainer {Task}: {Count} invalid task events sent to the dead-letter topic", _o.Task, invalid);
        // Dead letters are durable before anything of this batch is checkpointed (and so before its offsets are stored).
        await Task.WhenAll(deliveries).ConfigureAwait(false);

        if (events.Count > 0)
        {
            var users = events.Select(e => e.User).Distinct(StringComparer.Ordinal).ToList();
            var read = await windows.ReadManyAsync(users).ConfigureAwait(false);
            var byUser = users.Zip(read).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
            var examples = new List<LabeledExample>(events.Count);
            long noHistory = 0;
            foreach (var e in events)
            {
                var history = byUser[e.User].Where(w => w.Ts <= e.Ts).Select(w => w.Item).ToList();
                // Rule: an event of a user with no click at or before it (unknown user, expired window, label ahead
                // of its clicks) has nothing to condition on; it is skipped and counted, not trained on a blank input.
                if (history.Count == 0) { noHistory++; continue; }
                examples.Add(new LabeledExample(learner.EncodeSource(history), e.Label));
            }
            metrics.Event(_o.Task, "no_history", noHistory);
            var result = learner.Learn(examples);
            metrics.Learned(_o.Task, result);
        }

        foreach (var r in batch)
        {
            var key = Key(r.TopicPartition);
            _covered[key] = Math.Max(_covered.GetValueOrDefault(key), r.Offset.Value + 1);
        }
        Versioned(policy.AfterBatch());
        var clock = Stopwatch.StartNew();
        LearnerCheckpoint.Save(CheckpointPath, learner, _covered);
        metrics.Checkpointed(_o.Task, clock.Elapsed);
        await PublishPendingAsync(ct).ConfigureAwait(false);
    }

    private async Task PublishPendingAsync(CancellationToken ct)
    {
        var learner = _learner!;
        if (!_policy!.HasPending) return;
        // The script refuses an older token anyway; this spares the export when the lease is known to be gone.
        if (!lease.IsHeld) throw new FencedOffException($"task {_o.Task}: the lease is {lease.State}; not publishing version {learner.Version}");
        // A retry must write the very bytes of the first attempt: the publish script accepts an equal value as done.
        if (_pendingValue?.Version != learner.Version) _pendingValue = (learner.Version, learner.ExportVersion(lease.Token));
        if (!await publisher.PublishAsync(_o.Task, learner.Version, _pendingValue.Value.Value, lease.Token, ct).ConfigureAwait(false))
        {
            // The number was taken (a rollback published it first): drop the pending version and follow what is there.
            logger.LogWarning("Trainer {Task}: version {Version} was taken in Redis before it was published; following the latest version", _o.Task, learner.Version);
            _pendingValue = null;
            await FollowRollbackAsync(always: true).ConfigureAwait(false);
            if (_policy.HasPending)
            {
                var latest = await publisher.LatestAsync(_o.Task).ConfigureAwait(false);
                _policy.Resume(latest);
                learner.Version = Math.Max(learner.Version, latest);
            }
            return;
        }
        _pendingValue = null;
        _policy.Published();
        metrics.Published(_o.Task);
        var w = learner.Meter.Window;
        var b = learner.Baseline.Meter.Window;
        var cls = learner.Settings.IsClassification;
        logger.LogInformation("Trainer {Task}: published version {Version} at step {Step}; prequential {Metric} {Value:F4} over the last {Count} events, popularity baseline {Baseline:F4}",
            _o.Task, learner.Version, learner.Step, cls ? "accuracy" : "HR@5", cls ? w.Accuracy : w.Hr, w.Count, cls ? b.Accuracy : b.Hr);
    }

    /// <summary>
    /// Continues from a rollback (<c>peterrec patch rollback</c>): when the latest pointer has moved past what this
    /// trainer published (or <paramref name="always"/>) and names a rollback version it has not continued from yet, its
    /// weights and labels become the learner's, and the checkpoint follows at once. Any other foreign version is only
    /// taken as the published number, so this trainer's next version goes above it.
    /// </summary>
    private async Task FollowRollbackAsync(bool always = false)
    {
        var learner = _learner!;
        var policy = _policy!;
        var latest = await publisher.LatestAsync(_o.Task).ConfigureAwait(false);
        if (latest <= learner.RolledBackTo || (!always && latest == policy.PublishedVersion)) return;
        var value = await publisher.ReadAsync(_o.Task, latest).ConfigureAwait(false);
        if (value is null) return;
        var what = $"version {_o.Task} v{latest}";
        try
        {
            var (manifest, tensors) = PublishedVersion.Read(value, what);
            if (manifest.RollbackOf is not { } of)
            {
                if (latest > policy.PublishedVersion) policy.Resume(latest);
                if (learner.Version < latest) learner.Version = latest;
                return;
            }
            learner.Adopt(manifest, tensors, what);
            policy.Resume(latest);
            _pendingValue = null;
            LearnerCheckpoint.Save(CheckpointPath, learner, _covered);
            metrics.RolledBack(_o.Task);
            logger.LogWarning("Trainer {Task}: rolled back: continuing from version {Version} (the weights of version {Of}, step {Step}, {Labels} targets); optimizer state reset",
                _o.Task, latest, of, manifest.Step, manifest.Labels.Count);
        }
        catch (InvalidDataException e)
        {
            logger.LogError("Trainer {Task}: cannot continue from {What}: {Error}", _o.Task, what, e.Message);
        }
    }

    /// <summary>True when the policy raised the version; a withheld candidate is counted and logged.</summary>
    private bool Versioned(PublishVerdict? verdict)
    {
        if (verdict is null) return false;
        if (verdict.Publish) return true;
        metrics.Withheld(_o.Task, verdict.Reason);
        logger.LogWarning("Trainer {Task}: not publishing at step {Step}: {Verdict}", _o.Task, _learner!.Step, verdict);
        return false;
    }

    private static string Key(TopicPartition tp) => $"{tp.Topic}/{tp.Partition.Value}";

    public void Dispose()
    {
        _learner?.Dispose();
        _exclusive.Dispose();
    }
}
