using System.ComponentModel.DataAnnotations;

namespace PeterRec.Ingest;

/// <summary>The Ingest role (configuration section <c>Ingest</c>).</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>(int) clicks kept per user window; later taken from the backbone's sequence length.</summary>
    [Range(1, 4096)] public int WindowSize { get; set; } = 50;

    /// <summary>(string) consumer group over the clicks topic.</summary>
    [Required] public string GroupId { get; set; } = "peterrec-ingest";

    /// <summary>(int) records per micro-batch, at most.</summary>
    [Range(1, 100_000)] public int MaxBatchSize { get; set; } = 5000;

    /// <summary>(ms) a micro-batch is handled at the latest this long after its first record arrived.</summary>
    [Range(0, 60_000)] public int MaxBatchDelayMs { get; set; } = 20;

    /// <summary>(seconds) A click stamped further than this ahead of the ingest clock is dead-lettered
    /// (ts_out_of_range): it would sit at the new end of the window and hide every real click after it. 0 = no check.</summary>
    [Range(0, 10 * 365 * 86_400)] public int MaxFutureSkewSeconds { get; set; } = 86_400;

    /// <summary>(seconds) How often every assigned clicks partition's Redis marker is checked (besides before each batch),
    /// so a Redis that lost its data is noticed, and rebuilt, while no click arrives.</summary>
    [Range(1, 3600)] public int RedisCheckSeconds { get; set; } = 5;

    /// <summary>(seconds) How far back the clicks topic is re-read to rebuild lost windows (by record timestamp). Cover the
    /// windows you need (at most Redis:WindowTtlSeconds) within the topic's retention.</summary>
    [Range(1, 365 * 86_400)] public int RebuildHorizonSeconds { get; set; } = 7 * 86_400;
}
