using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeterRec.Chaos;

/// <summary>The figures of one chaos run (printed as a table and as JSON).</summary>
public sealed record ChaosReport
{
    public double LoadSeconds { get; init; }
    public double Rate { get; init; }
    public long ClicksSent { get; init; }
    /// <summary>Valid clicks the audit found on the topic. More than sent: the load's producer wrote a record twice
    /// under injected broker errors (an epoch bump after an unknown-producer error); the pipeline counts such a copy
    /// as a second click by its documented rule, so it is reported, not a failure. Fewer: Kafka lost acked records.</summary>
    public long ClicksOnTopic { get; init; }
    public long TaskEventsSent { get; init; }
    public long PoisonSent { get; init; }
    public long ProduceFailures { get; init; }
    public long Users { get; init; }
    public long ExpectedWindowEntries { get; init; }
    public long WindowEntries { get; init; }
    public long Lost { get; init; }
    public long Duplicated { get; init; }
    public long Unexpected { get; init; }
    public long UsersWrong { get; init; }
    public long DeadLettersExpected { get; init; }
    public long DeadLettersReceived { get; init; }
    public long DeadLettersDistinct { get; init; }
    public long DeadLettersMissing { get; init; }
    public int Kills { get; init; }
    public int RestartsSurvived { get; init; }
    public int UnplannedExits { get; init; }
    public double MaxRecoverySeconds { get; init; }
    public double RedisOutageSeconds { get; init; }
    public double BrokerOutageSeconds { get; init; }
    /// <summary>Roles whose /readyz said not ready at the end of the Redis outage.</summary>
    public List<string> NotReadyDuringRedisOutage { get; init; } = [];
    /// <summary>Instances each of Ingest and Serving at the start, and the scale steps taken during the load.</summary>
    public int Replicas { get; init; } = 1;
    public int ScaledUp { get; init; }
    public int ScaledDownTerm { get; init; }
    public int ScaledDownKill { get; init; }
    /// <summary>Per role: partition-to-instance map changes seen (scraped every 250 ms).</summary>
    public Dictionary<string, int> Rebalances { get; init; } = [];
    /// <summary>Per role: the longest time (s) one partition of its input topic had no owner.</summary>
    public Dictionary<string, double> LongestUnownedSeconds { get; init; } = [];
    /// <summary>The same, by the fault or scale step under way when the stretch began.</summary>
    public Dictionary<string, double> LongestUnownedByCause { get; init; } = [];
    public bool RedisCluster { get; init; }
    public int RedisMasterKills { get; init; }
    /// <summary>Longest time from a master's SIGKILL until its replica served its slots and every node was ok.</summary>
    public double RedisFailoverSeconds { get; init; }
    public double DrainSeconds { get; init; }
    public long PatchVersion { get; init; }
    public long RecsWritten { get; init; }
    /// <summary>Per role: RSS (MiB) at the first sample after warm-up and at the end.</summary>
    [JsonPropertyName("rss_mib")] public Dictionary<string, double[]> RssMiB { get; init; } = [];
    /// <summary>Per role: RSS (MiB) once a minute from the start, so a leak and a plateau can be told apart.</summary>
    [JsonPropertyName("rss_per_minute_mib")] public Dictionary<string, double[]> RssPerMinuteMiB { get; init; } = [];
    public bool Passed { get; init; }
    /// <summary>The first differences the audit found (empty when clean).</summary>
    public List<string> AuditDetails { get; init; } = [];
    /// <summary>Where a failed run's work directory (logs, AOF, report, audit) was kept; null when the run passed.</summary>
    public string? KeptWorkDir { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToTable() => string.Join('\n', (string[])
    [
        $"load                     {LoadSeconds:F0} s at {Rate:F0} clicks/s",
        $"events sent              {ClicksSent} clicks, {TaskEventsSent} task events, {PoisonSent} poison ({ProduceFailures} produce failures; {ClicksOnTopic} valid clicks on the topic)",
        $"window entries in Redis  {WindowEntries} (expected {ExpectedWindowEntries}, {Users} users, {UsersWrong} windows differ)",
        $"lost / duplicated        {Lost} / {Duplicated} (unexpected entries {Unexpected})",
        $"dead-lettered            expected {DeadLettersExpected}, received {DeadLettersReceived} ({DeadLettersDistinct} distinct, {DeadLettersMissing} missing)",
        $"kills / restarts         {Kills} kill -9 / {RestartsSurvived} restarts survived ({UnplannedExits} unplanned exits; slowest back in {MaxRecoverySeconds:F1} s)",
        $"outages survived         redis {RedisOutageSeconds:F1} s (not ready meanwhile: {string.Join(",", NotReadyDuringRedisOutage)}), broker {BrokerOutageSeconds:F1} s",
        $"replicas / scaling       {Replicas} each of ingest and serve; {ScaledUp} added, {ScaledDownTerm} removed with SIGTERM, {ScaledDownKill} with kill -9",
        $"rebalances seen          {string.Join(", ", Rebalances.Select(r => $"{r.Key} {r.Value}"))}; longest partition unowned {string.Join(", ", LongestUnownedSeconds.Select(r => $"{r.Key} {r.Value:F1} s"))}",
        $"unowned by cause         {string.Join(", ", LongestUnownedByCause.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value:F1} s"))}",
        $"redis                    {(RedisCluster ? $"cluster (3 masters + 3 replicas); {RedisMasterKills} master killed, failed over in {RedisFailoverSeconds:F1} s" : "one redis-server")}",
        $"drain                    {DrainSeconds:F1} s; patch version {PatchVersion}; recs keys {RecsWritten}",
        .. RssMiB.Select(r => $"rss {r.Key,-20} {r.Value[0]:F0} -> {r.Value[1]:F0} MiB"
            + (RssPerMinuteMiB.TryGetValue(r.Key, out var m) && m.Length > 2 ? $" (per minute: {string.Join(" ", m.Select(v => v.ToString("F0")))})" : "")),
        .. (KeptWorkDir is null ? Array.Empty<string>() : [$"kept                     {KeptWorkDir} (logs/, chaos.log, report.json, audit.txt)"]),
        $"result                   {(Passed ? "PASS" : "FAIL")}",
    ]);
}
