using System.Globalization;
using System.Text;

namespace PeterRec.Contracts;

/// <summary>
/// The Redis key layout. Every per-user key carries the hash tag <c>{u:&lt;user&gt;}</c> and every per-task key
/// <c>{t:&lt;task&gt;}</c>, so in Redis Cluster a user's keys share a slot and one Lua script may touch them all.
/// <code>
/// &lt;prefix&gt;:{u:&lt;user&gt;}:window          list of "&lt;ts&gt;:&lt;item&gt;", oldest first (see WindowEntry)  Ingest writes
/// &lt;prefix&gt;:{u:&lt;user&gt;}:applied         hash partition -> last applied clicks offset    Ingest (idempotency)
/// &lt;prefix&gt;:{u:&lt;user&gt;}:recs:&lt;task&gt;     top-N recommendations                           Serving writes
/// &lt;prefix&gt;:{u:&lt;user&gt;}:rep:&lt;task&gt;      user representation                             Serving writes
/// &lt;prefix&gt;:{t:&lt;task&gt;}:patch:&lt;version&gt;  a published version (see PublishedVersion)    Trainer writes
/// &lt;prefix&gt;:{t:&lt;task&gt;}:patch:latest    the newest published version number             Trainer writes
/// &lt;prefix&gt;:ingest:generation       hash clicks partition -> marker (windows complete)  Ingest (loss detection)
/// &lt;prefix&gt;:{t:&lt;task&gt;}:pending         sorted set user -> click ts: announced, no version yet  Serving
/// &lt;prefix&gt;:{t:&lt;task&gt;}:active          sorted set user -> last scored (unix ms)        Serving (re-score)
/// &lt;prefix&gt;:{t:&lt;task&gt;}:rescore:&lt;version&gt; claim: one server re-scores a version's active users  Serving
/// &lt;prefix&gt;:{t:&lt;task&gt;}:lease           the trainer holding the task (owner id, PX)     Trainer writes
/// &lt;prefix&gt;:{t:&lt;task&gt;}:lease:token     the last fencing token issued (INCR)            Trainer writes
/// </code>
/// Ids are escaped so no id can change the layout: <c>%</c>, <c>{</c> and <c>}</c> become <c>%25</c>, <c>%7B</c>,
/// <c>%7D</c> (a brace would move the hash tag). Ids must also pass <see cref="EventLimits.CheckId"/>.
/// The <c>patch:</c> segment names published versions (the historical word, kept so deployed keys stay valid).
/// </summary>
public sealed class RedisKeys(string prefix)
{
    public string Prefix { get; } = prefix;

    public string Window(string user) => $"{Prefix}:{{u:{Escape("user", user)}}}:window";

    public string AppliedOffsets(string user) => $"{Prefix}:{{u:{Escape("user", user)}}}:applied";

    public string Recs(string user, string task) => $"{Prefix}:{{u:{Escape("user", user)}}}:recs:{Escape("task", task)}";

    public string Rep(string user, string task) => $"{Prefix}:{{u:{Escape("user", user)}}}:rep:{Escape("task", task)}";

    public string Version(string task, long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        return $"{Prefix}:{{t:{Escape("task", task)}}}:patch:{version.ToString(CultureInfo.InvariantCulture)}";
    }

    public string LatestVersion(string task) => $"{Prefix}:{{t:{Escape("task", task)}}}:patch:latest";

    /// <summary>Hash: clicks partition -> when its windows were last known complete (Ingest's Redis-loss marker).</summary>
    public string IngestGeneration() => $"{Prefix}:ingest:generation";

    public string PendingUsers(string task) => $"{Prefix}:{{t:{Escape("task", task)}}}:pending";

    public string ActiveUsers(string task) => $"{Prefix}:{{t:{Escape("task", task)}}}:active";

    public string RescoreClaim(string task, long version) =>
        $"{Prefix}:{{t:{Escape("task", task)}}}:rescore:{version.ToString(CultureInfo.InvariantCulture)}";
    /// <summary>The one-trainer-per-task lease; same slot as the task's versions, so the publish script can check the fence.</summary>
    public string Lease(string task) => $"{Prefix}:{{t:{Escape("task", task)}}}:lease";

    /// <summary>The fencing-token counter: raised on every lease acquisition, never lowered.</summary>
    public string LeaseToken(string task) => $"{Prefix}:{{t:{Escape("task", task)}}}:lease:token";

    /// <summary>Validates an id and escapes the characters that would break the layout.</summary>
    public static string Escape(string field, string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (EventLimits.CheckId(field, id) is { } problem) throw new ArgumentException(problem, nameof(id));
        if (id.AsSpan().IndexOfAny('%', '{', '}') < 0) return id;
        var sb = new StringBuilder(id.Length + 8);
        foreach (var c in id)
            sb.Append(c switch { '%' => "%25", '{' => "%7B", '}' => "%7D", _ => c.ToString() });
        return sb.ToString();
    }

    public static string Unescape(string escaped) =>
        escaped.Replace("%7B", "{", StringComparison.Ordinal).Replace("%7D", "}", StringComparison.Ordinal).Replace("%25", "%", StringComparison.Ordinal);
}
