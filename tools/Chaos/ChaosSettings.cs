namespace PeterRec.Chaos;

/// <summary>One fault-injection run (<c>peterrec chaos</c>).</summary>
public sealed record ChaosSettings
{
    public string WorkDir { get; init; } = ".peterrec/chaos";
    /// <summary>Seconds of load (clicks at <see cref="Rate"/>) during which faults are injected; the soak mode sets it.</summary>
    public int Seconds { get; init; } = 60;
    /// <summary>Clicks per second offered (task events and poison come on top, as fractions of it).</summary>
    public double Rate { get; init; } = 500;
    public int Users { get; init; } = 500;
    public int Items { get; init; } = 200;
    public int WindowSize { get; init; } = 20;
    public int Partitions { get; init; } = 4;
    /// <summary>SIGKILLs of a random role at random moments of the load phase.</summary>
    public int Kills { get; init; } = 10;
    /// <summary>Roles to run and kill: ingest, train, serve.</summary>
    public IReadOnlyList<string> Roles { get; init; } = ["ingest", "train", "serve"];
    /// <summary>redis-server is killed mid-stream and restarted (same port, same AOF) after this many seconds; 0 = no outage.</summary>
    public int RedisOutageSeconds { get; init; }
    /// <summary>Broker down for a few seconds plus request errors on produce, fetch and offset commits.</summary>
    public bool BrokerErrors { get; init; }
    /// <summary>One record in this many clicks / task events / changed users is poison (a rotating mix of kinds); 0 = none.</summary>
    public int PoisonEvery { get; init; } = 50;
    /// <summary>One task event per this many clicks (for the trainer).</summary>
    public int TaskEventEvery { get; init; } = 5;
    public int DrainSeconds { get; init; } = 90;
    public int Seed { get; init; } = 1;
    /// <summary>Sample each role's RSS this often (soak); the report gives the first sample after warm-up and the last.</summary>
    public int RssSampleSeconds { get; init; } = 5;
    public string? ReportFile { get; init; }
    /// <summary>Instances each of Ingest and Serving (one consumer group per role); with 2 or more, each role is also
    /// scaled up by one, down by one with SIGTERM and down by one with kill -9 during the load. The trainer stays one (its lease).</summary>
    public int Replicas { get; init; } = 1;
    /// <summary>Run on a private Redis Cluster (3 masters + 3 replicas, AOF fsync'd always) and SIGKILL one master mid-run.</summary>
    public bool RedisCluster { get; init; }

    /// <summary>Problems with the combination, as one-line messages (usage errors).</summary>
    public IEnumerable<string> Validate()
    {
        if (Replicas < 1) yield return $"--replicas {Replicas}: expected at least 1";
        // One more instance than partitions would get nothing and never be ready.
        if (Replicas > 1 && Partitions < Replicas + 1)
            yield return $"--replicas {Replicas} scales up to {Replicas + 1} instances per role: needs --partitions >= {Replicas + 1}, got {Partitions}";
        if (RedisCluster && RedisOutageSeconds > 0)
            yield return "--redis-outage-seconds applies to a single redis-server; with --redis-cluster one master is killed and fails over instead";
    }
}
