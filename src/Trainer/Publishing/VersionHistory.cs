using System.Globalization;
using PeterRec.Contracts;
using PeterRec.Model.Storage;
using StackExchange.Redis;

namespace PeterRec.Trainer.Publishing;

/// <summary>One published version still held in Redis, as <c>peterrec patch list</c> shows it.</summary>
public sealed record HeldVersion(long Version, bool Latest, VersionManifest Manifest, int Bytes);

/// <summary>A rollback that was carried out: <paramref name="To"/>'s weights are now version <paramref name="Version"/>.</summary>
public sealed record RollbackResult(long To, long Version, long PreviousLatest);

/// <summary>
/// The published versions of a task that Redis still holds, and rollbacks. A rollback never lowers the latest pointer
/// (serving refuses to go back): it republishes the chosen version's weights, with their manifest marked
/// <see cref="VersionManifest.RollbackOf"/>, as the next number above the latest. One script checks that the pointer is
/// still what the manifest was written for and that the number is free, then writes value and pointer together, so it
/// cannot interleave with the Trainer's own publish (also one script); when the Trainer won the race it is retried.
/// Serving picks the new version up like any other (announcement or pointer poll); the Trainer sees the pointer move to
/// a version that is not its own and continues from those weights.
/// </summary>
public sealed class VersionHistory(IConnectionMultiplexer redis, RedisKeys keys)
{
    // The copy carries the task's current fencing token, so Serving (which refuses tokens older than one it installed)
    // takes it and the lease holder adopts it; a new lease in between means a retry with the new token.
    private const string RollbackScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if current ~= tonumber(ARGV[1]) then return -1 end
        if tonumber(redis.call('GET', KEYS[3]) or '0') ~= tonumber(ARGV[3]) then return -1 end
        if redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
        redis.call('SET', KEYS[2], ARGV[2])
        redis.call('SET', KEYS[1], tostring(current + 1))
        return current + 1
        """;

    private const int Page = 50;

    public async Task<long> LatestAsync(string task)
    {
        var v = await redis.GetDatabase().StringGetAsync(keys.LatestVersion(task)).ConfigureAwait(false);
        return v.IsNull ? 0 : long.Parse((string)v!, CultureInfo.InvariantCulture);
    }

    /// <summary>Versions held, newest first: walks down from the latest until a page of numbers holds none.</summary>
    /// <exception cref="InvalidDataException">A held value is not a valid published version.</exception>
    public async Task<IReadOnlyList<HeldVersion>> ListAsync(string task)
    {
        var latest = await LatestAsync(task).ConfigureAwait(false);
        var db = redis.GetDatabase();
        var held = new List<HeldVersion>();
        for (long top = latest; top >= 1; top -= Page)
        {
            var numbers = Enumerable.Range(0, (int)Math.Min(Page, top)).Select(i => top - i).ToArray();
            var values = await db.StringGetAsync([.. numbers.Select(v => (RedisKey)keys.Version(task, v))]).ConfigureAwait(false);
            var found = 0;
            for (int i = 0; i < numbers.Length; i++)
            {
                if (values[i].IsNull) continue;
                found++;
                var bytes = (byte[])values[i]!;
                var (manifest, _) = PublishedVersion.Read(bytes, keys.Version(task, numbers[i]));
                held.Add(new HeldVersion(numbers[i], numbers[i] == latest, manifest, bytes.Length));
            }
            if (found == 0) break;
        }
        return held;
    }

    /// <summary>Republishes version <paramref name="to"/>'s weights as the next version above the latest.</summary>
    /// <exception cref="ArgumentException">Version <paramref name="to"/> is not held (never published, trimmed or expired).</exception>
    public async Task<RollbackResult> RollbackAsync(string task, long to, CancellationToken ct = default)
    {
        var db = redis.GetDatabase();
        var key = keys.Version(task, to);
        var value = await db.StringGetAsync(key).ConfigureAwait(false);
        if (value.IsNull)
            throw new ArgumentException($"task '{task}' has no version {to} in Redis ({key}): never published, trimmed or expired; see 'peterrec patch list --task {task}'");
        var (manifest, tensors) = PublishedVersion.Read((byte[])value!, key);
        for (int attempt = 0; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            var latest = await LatestAsync(task).ConfigureAwait(false);
            var next = latest + 1;
            var token = await db.StringGetAsync(keys.LeaseToken(task)).ConfigureAwait(false);
            var fencingToken = token.IsNull ? 0 : long.Parse((string)token!, CultureInfo.InvariantCulture);
            var copy = manifest with
            {
                Version = next, RollbackOf = to, CreatedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), FencingToken = fencingToken,
            };
            var outcome = (long)await db.ScriptEvaluateAsync(RollbackScript,
                [keys.LatestVersion(task), keys.Version(task, next), keys.LeaseToken(task)],
                [latest, PublishedVersion.Write(copy, tensors), fencingToken]).ConfigureAwait(false);
            if (outcome > 0) return new RollbackResult(to, outcome, latest);
            if (outcome == -2)
                throw new InvalidOperationException($"{keys.Version(task, next)} already exists above the latest pointer {latest}; refusing to overwrite it");
            // The Trainer published in between: take the next number.
            if (attempt >= 20) throw new InvalidOperationException($"task '{task}': the latest version kept moving; rollback gave up after {attempt + 1} attempts");
        }
    }
}
