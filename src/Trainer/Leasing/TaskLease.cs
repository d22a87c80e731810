using Microsoft.Extensions.Logging;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Trainer.Leasing;

/// <summary>How long a lease lasts without renewal and how often the holder renews it.</summary>
public sealed record LeaseTiming(TimeSpan Duration, TimeSpan RenewEvery);

public enum LeaseState { Waiting, Held, Lost, Released }

/// <summary>
/// One trainer per task: a lease in Redis (<see cref="RedisKeys.Lease"/>, <c>SET NX PX</c> with this process's owner
/// id) and, with every acquisition, a fencing token from <c>INCR</c> on <see cref="RedisKeys.LeaseToken"/>, so each
/// holder's token is higher than every earlier holder's. The holder renews it every <see cref="LeaseTiming.RenewEvery"/>;
/// a renewal that finds another owner, or no successful renewal for a whole <see cref="LeaseTiming.Duration"/>
/// (Redis unreachable: the lease may have expired there), means the lease is lost and <see cref="LostToken"/> fires.
/// The token, not the lease, is what makes a paused holder harmless: the publish script refuses a token older than
/// the last one issued (see <c>VersionPublisher</c>), so a holder that wakes up after losing the lease cannot publish.
/// </summary>
/// <remarks>
/// Both keys carry the task's hash tag, so each script touches one Redis Cluster slot. <see cref="ReleaseAsync"/>
/// (a clean stop) deletes the lease so a follower takes over at its next attempt; <see cref="DisposeAsync"/> stops
/// renewing without releasing, which is what a crash looks like: the follower waits for the lease to expire.
/// </remarks>
public sealed class TaskLease(IConnectionMultiplexer redis, RedisKeys keys, string task, LeaseTiming timing, ILogger<TaskLease> logger) : IAsyncDisposable
{
    // KEYS: lease, token counter. ARGV: owner, ms. Returns the new token, or 0 when another owner holds the lease.
    private const string Acquire = """
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end
        return 0
        """;

    // KEYS: lease. ARGV: owner, ms. Returns 1 when renewed, 0 when the lease is someone else's or gone.
    private const string Renew = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
        return 0
        """;

    private const string Release = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _lost = new();
    private Task _renewing = Task.CompletedTask;
    private long _token;
    private int _disposed;

    public string TaskName { get; } = task;

    /// <summary>Unique per process and start, so a restarted trainer never mistakes its predecessor's lease for its own.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    public LeaseTiming Timing { get; } = timing;

    public LeaseState State { get; private set; } = LeaseState.Waiting;

    /// <summary>The fencing token of the current hold; 0 before the first.</summary>
    public long Token => Interlocked.Read(ref _token);

    public bool IsHeld => State == LeaseState.Held;

    /// <summary>Cancelled when a held lease is lost.</summary>
    public CancellationToken LostToken => _lost.Token;

    private long Ms => (long)Timing.Duration.TotalMilliseconds;

    /// <summary>One attempt; on success the lease is held and renewed in the background.</summary>
    public async Task<bool> TryAcquireAsync()
    {
        if (State != LeaseState.Waiting) throw new InvalidOperationException($"lease of task {TaskName} is {State}; acquire once per TaskLease");
        var token = (long)await redis.GetDatabase().ScriptEvaluateAsync(Acquire, [keys.Lease(TaskName), keys.LeaseToken(TaskName)], [Owner, Ms]).ConfigureAwait(false);
        if (token == 0) return false;
        Interlocked.Exchange(ref _token, token);
        State = LeaseState.Held;
        logger.LogInformation("Trainer {Task}: holding the task's lease with fencing token {Token} (owner {Owner})", TaskName, token, Owner);
        _renewing = RenewLoopAsync(_stop.Token);
        return true;
    }

    /// <summary>Tries every <see cref="LeaseTiming.RenewEvery"/> until the lease is ours, so a follower takes over at most
    /// that long after the holder's lease expired or was released. Redis errors are logged and retried.</summary>
    public async Task AcquireAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        while (true)
        {
            try
            {
                if (await TryAcquireAsync().ConfigureAwait(false)) return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning("Trainer {Task}: lease attempt failed, will retry: {Error}", TaskName, e.Message);
            }
            await Task.Delay(Timing.RenewEvery, linked.Token).ConfigureAwait(false);
        }
    }

    private async Task RenewLoopAsync(CancellationToken ct)
    {
        var renewed = DateTime.UtcNow;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Timing.RenewEvery, ct).ConfigureAwait(false);
                var ok = (long)await redis.GetDatabase().ScriptEvaluateAsync(Renew, [keys.Lease(TaskName)], [Owner, Ms]).ConfigureAwait(false);
                if (ok == 1) { renewed = DateTime.UtcNow; continue; }
                Lose("another trainer holds it or it expired");
                return;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { return; }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                logger.LogWarning("Trainer {Task}: lease renewal failed: {Error}", TaskName, e.Message);
                if (DateTime.UtcNow - renewed < Timing.Duration) continue;
                Lose($"not renewed for {Timing.Duration.TotalSeconds:F0} s");
                return;
            }
        }
    }

    private void Lose(string why)
    {
        State = LeaseState.Lost;
        logger.LogError("Trainer {Task}: lost the task's lease (token {Token}): {Why}; no further versions are published", TaskName, Token, why);
        _lost.Cancel();
    }

    /// <summary>A clean stop: stop renewing and delete the lease if it is still ours, so a follower need not wait for it to expire.</summary>
    public async Task ReleaseAsync()
    {
        var held = State == LeaseState.Held;
        await StopRenewingAsync().ConfigureAwait(false);
        if (!held) return;
        State = LeaseState.Released;
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(Release, [keys.Lease(TaskName)], [Owner]).ConfigureAwait(false);
            logger.LogInformation("Trainer {Task}: released the task's lease (token {Token})", TaskName, Token);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning("Trainer {Task}: could not release the lease; a follower takes over when it expires: {Error}", TaskName, e.Message);
        }
    }

    private async Task StopRenewingAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        await _renewing.ConfigureAwait(false);
    }

    /// <summary>Stops renewing without releasing: to Redis this is a crash, and the lease expires after its duration.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await StopRenewingAsync().ConfigureAwait(false);
        if (State == LeaseState.Held) State = LeaseState.Released;
        _stop.Dispose();
        _lost.Dispose();
    }
}
