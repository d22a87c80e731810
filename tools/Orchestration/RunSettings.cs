namespace PeterRec.Orchestration;

/// <summary>What <c>peterrec run</c> was asked to do (validated by <see cref="Validate"/>).</summary>
public sealed record RunSettings
{
    public string WorkDir { get; init; } = ".peterrec/run";

    /// <summary>External Kafka bootstrap servers; null = start a dev broker.</summary>
    public string? Kafka { get; init; }

    /// <summary>External Redis HOST:PORT; null = start a private redis-server.</summary>
    public string? Redis { get; init; }

    /// <summary>Start a private Redis Cluster (3 masters + 3 replicas on loopback) instead of one redis-server.</summary>
    public bool RedisCluster { get; init; }

    /// <summary>A pretrained backbone; null = pretrain a small one (reused from the work dir unless <see cref="Fresh"/>).</summary>
    public string? Backbone { get; init; }

    /// <summary>Fine-tune CSV to replay; null = the synthetic benchmark's rec.csv.</summary>
    public string? Data { get; init; }

    /// <summary>A click log to replay instead of <see cref="Data"/> (needs <see cref="Backbone"/>); with <see cref="LabelsFile"/>, interleaved by event time.</summary>
    public string? EventsFile { get; init; }

    /// <summary>The task's labels (user, label, time) to replay with <see cref="EventsFile"/>.</summary>
    public string? LabelsFile { get; init; }

    public string Task { get; init; } = "rec";

    public string KeyPrefix { get; init; } = "peterrec";

    /// <summary>Offered events/s (clicks and task events); 0 = as fast as possible.</summary>
    public double Rate { get; init; } = 2000;

    /// <summary>Stop the replay after this many events; 0 = all.</summary>
    public long Events { get; init; }

    /// <summary>Replay at most this many users of the data; 0 = all.</summary>
    public int Users { get; init; }

    /// <summary>Synthetic data when neither backbone nor data is given.</summary>
    public int PretrainUsers { get; init; } = 2000;

    public int StreamUsers { get; init; } = 1000;

    public int PretrainEpochs { get; init; } = 4;

    public int Channels { get; init; } = 32;

    public int PublishEverySteps { get; init; } = 5;

    public int PrequentialWindow { get; init; } = 500;

    public int Partitions { get; init; } = 4;

    /// <summary>libtorch threads per role (trainer, serving): the roles share the machine.</summary>
    public int RoleThreads { get; init; } = 1;

    /// <summary>
    /// The trainer's <c>nice</c> (0: none). Training is throughput work and serving latency work: on a machine they share,
    /// the trainer yields the cores to Ingest and Serving (on Kubernetes, requests and limits do this).
    /// </summary>
    public int TrainerNiceness { get; init; } = 10;

    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Re-generate data and re-pretrain even if the work dir has them.</summary>
    public bool Fresh { get; init; }

    public string? SummaryFile { get; init; }

    public IEnumerable<string> Validate()
    {
        if (Rate < 0) yield return "--rate must be >= 0";
        if (Events < 0) yield return "--events must be >= 0";
        if (Users < 0) yield return "--users must be >= 0";
        if (PretrainUsers < 10 || StreamUsers < 1) yield return "--pretrain-users must be >= 10 and --stream-users >= 1";
        if (PretrainEpochs < 1 || Channels < 4) yield return "--epochs must be >= 1 and --channels >= 4";
        if (PublishEverySteps < 1 || PrequentialWindow < 1 || Partitions < 1) yield return "--publish-every-steps, --prequential-window and --partitions must be >= 1";
        if (Backbone is not null && !File.Exists(Path.Combine(Backbone, "config.json")))
            yield return $"--backbone '{Backbone}' has no config.json (expected a directory written by peterrec pretrain)";
        if (Data is not null && !File.Exists(Data)) yield return $"--data '{Data}' does not exist";
        if (EventsFile is not null && Data is not null) yield return "--events and --data: expected one of them";
        if (LabelsFile is not null && EventsFile is null) yield return "--labels: expected it with --events";
        if (EventsFile is not null && Backbone is null)
            yield return "--events: expected --backbone too (a backbone pretrained on the same domain, e.g. peterrec pretrain --events FILE --until TIME)";
        foreach (var (option, file) in new[] { ("--events", EventsFile), ("--labels", LabelsFile) })
            if (file is not null && !File.Exists(file)) yield return $"{option} '{file}' does not exist";
        if (RedisCluster && Redis is not null) yield return "--redis-cluster starts its own cluster; it cannot be combined with --redis";
    }
}
