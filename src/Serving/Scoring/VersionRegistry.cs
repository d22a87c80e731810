using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Serving.Scoring;

/// <summary>What happened when the registry looked for a newer version.</summary>
public enum VersionRefresh { Unchanged, Installed, NonePublished, Rejected }

/// <summary>
/// The published version in service for every served task. A newer version is read from Redis, fully decoded and
/// validated off to the side, then swapped in with one reference write; batches that already took the old one finish
/// with it. A version that fails validation is refused with a logged reason and the last good one stays in service;
/// it is not retried (a fixed one gets a new version). A version whose fencing token is older than the highest this
/// server has installed for the task comes from a trainer that lost the task's lease; it is refused the same way.
/// </summary>
public sealed class VersionRegistry(ServingBackbone backbone, IConnectionMultiplexer redis, RedisKeys keys, ILogger<VersionRegistry> logger)
{
    private readonly ConcurrentDictionary<string, ServedVersion> _current = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _fence = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    /// <summary>Raised after a swap (task, version) and after a refusal (task, version, reason).</summary>
    public event Action<string, long>? Installed;
    public event Action<string, long, string>? Refused;

    public ServedVersion? Current(string task) => _current.GetValueOrDefault(task);

    /// <summary>Validates and installs <paramref name="bytes"/> as <paramref name="task"/>'s version if it is newer; throws on a bad one.</summary>
    public bool Install(string task, ReadOnlySpan<byte> bytes, string what)
    {
        var version = ServedVersion.Parse(bytes, what, task, backbone);
        var fence = _fence.GetValueOrDefault(task);
        if (version.Manifest.FencingToken < fence)
            throw new InvalidDataException($"{what}: fencing token {version.Manifest.FencingToken} is older than {fence}, the newest this server installed for the task (a trainer that lost its lease)");
        var current = Current(task);
        if (current is not null && current.Version >= version.Version) return false;
        _fence[task] = version.Manifest.FencingToken;
        _current[task] = version;
        logger.LogInformation("Task {Task}: serving version {Version} (step {Step}, {Labels} targets)", task, version.Version, version.Manifest.Step, version.Labels.Count);
        Installed?.Invoke(task, version.Version);
        return true;
    }

    /// <summary>Reads the task's latest pointer and installs that version if it is newer than the one in service.</summary>
    public async Task<VersionRefresh> RefreshAsync(string task)
    {
        var gate = _gates.GetOrAdd(task, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var db = redis.GetDatabase();
            var latest = await db.StringGetAsync(keys.LatestVersion(task)).ConfigureAwait(false);
            if (latest.IsNull) return VersionRefresh.NonePublished;
            if (!long.TryParse((string?)latest, out var version) || version < 0)
                return Refuse(task, -1, $"{keys.LatestVersion(task)} holds '{latest}', expected a version number");
            if (Current(task)?.Version >= version || _rejected.GetValueOrDefault(task, -1) == version) return VersionRefresh.Unchanged;
            var key = keys.Version(task, version);
            var blob = await db.StringGetAsync(key).ConfigureAwait(false);
            if (blob.IsNull) return Refuse(task, version, $"{key} is missing (expired or trimmed)");
            try
            {
                return Install(task, (byte[])blob!, key) ? VersionRefresh.Installed : VersionRefresh.Unchanged;
            }
            catch (InvalidDataException e)
            {
                return Refuse(task, version, e.Message);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private VersionRefresh Refuse(string task, long version, string reason)
    {
        _rejected[task] = version;
        logger.LogError("Task {Task}: refusing version {Version}: {Reason}; still serving version {Current}",
            task, version, reason, Current(task)?.Version.ToString() ?? "none");
        Refused?.Invoke(task, version, reason);
        return VersionRefresh.Rejected;
    }
}
