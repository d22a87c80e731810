using System.ComponentModel.DataAnnotations;

namespace PeterRec.Redis;

/// <summary>Redis connection and key layout (configuration section <c>Redis</c>, env <c>PETERREC_Redis__Configuration</c>).</summary>
public sealed class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>(string) StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379</c> or <c>host1:6379,host2:6379</c>.</summary>
    [Required] public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>Never logged.</summary>
    public string? Password { get; set; }

    public bool Ssl { get; set; }

    /// <summary>First segment of every key; tests use a unique prefix each to stay apart.</summary>
    [Required, RegularExpression("^[A-Za-z0-9_.-]{1,64}$", ErrorMessage = "Redis:KeyPrefix must be 1-64 of [A-Za-z0-9_.-]")]
    public string KeyPrefix { get; set; } = "peterrec";

    /// <summary>(seconds) user windows (and their applied offsets) expire after this long without a click; 0 = never.</summary>
    [Range(0, int.MaxValue)] public int WindowTtlSeconds { get; set; } = 30 * 24 * 3600;

    /// <summary>(seconds) written recommendations and user representations expire after this long; 0 = never.</summary>
    [Range(0, int.MaxValue)] public int RecsTtlSeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>(ms) connect and synchronous operation timeout.</summary>
    [Range(100, 60_000)] public int TimeoutMs { get; set; } = 5000;

    /// <summary>Retries of a failed Redis write (exponential backoff with jitter) before the batch fails and is redelivered.</summary>
    [Range(0, 20)] public int MaxRetryAttempts { get; set; } = 4;

    /// <summary>(ms) first retry delay; it doubles per attempt.</summary>
    [Range(1, 10_000)] public int RetryBaseDelayMs { get; set; } = 50;

    public override string ToString() =>
        $"Redis(configuration={Configuration}, ssl={Ssl}, password={(string.IsNullOrEmpty(Password) ? "-" : "***")}, prefix={KeyPrefix})";
}
