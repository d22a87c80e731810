using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace PeterRec.Redis;

/// <summary>Redis connection and key layout (configuration section <c>Redis</c>, env <c>PETERREC_Redis__Configuration</c>).</summary>
public sealed partial class RedisOptions
{
    public const string Section = "Redis";

    /// <summary>(string) StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379</c> or <c>host1:6379,host2:6379</c>.
    /// A <c>password=</c> in it works but is redacted wherever the options are shown; prefer <see cref="Password"/>.</summary>
    [Required] public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>(string) ACL user name (Redis 6+ <c>AUTH user password</c>); empty: the default user.</summary>
    public string? User { get; set; }

    /// <summary>Never logged.</summary>
    public string? Password { get; set; }

    /// <summary>(bool) TLS to Redis; the server certificate is checked against <see cref="CaFile"/> or the system store.</summary>
    public bool Ssl { get; set; }

    /// <summary>(path) PEM file of the CA certificate(s) the server's certificate must chain to (implies nothing without <see cref="Ssl"/>).</summary>
    public string? CaFile { get; set; }

    /// <summary>(path) PEM client certificate for mutual TLS (Redis <c>tls-auth-clients yes</c>); needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>(path) PEM private key of <see cref="ClientCertificateFile"/> (unencrypted PKCS#8, PKCS#1 or SEC1).</summary>
    public string? ClientKeyFile { get; set; }

    /// <summary>(string) Host name the server certificate must name, when it differs from the host in <see cref="Configuration"/>.</summary>
    public string? SslHost { get; set; }

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

    /// <summary><see cref="Configuration"/> with every <c>password=</c> value replaced by <c>***</c>.</summary>
    public static string Redact(string configuration) => PasswordInConfiguration().Replace(configuration, "${key}***");

    /// <summary>What is wrong with the TLS file options, or null: each named file must exist and hold PEM, a key needs
    /// its certificate.</summary>
    public string? TlsFilesProblem()
    {
        foreach (var (key, path) in new[] { ("Redis:CaFile", CaFile), ("Redis:ClientCertificateFile", ClientCertificateFile), ("Redis:ClientKeyFile", ClientKeyFile) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path)) return $"{key}: file not found: {path}";
        if (string.IsNullOrEmpty(ClientCertificateFile) != string.IsNullOrEmpty(ClientKeyFile))
            return "Redis:ClientCertificateFile and Redis:ClientKeyFile go together: set both or neither";
        // Read once here, so a wrong file is named at start instead of failing every connect.
        try
        {
            if (!string.IsNullOrEmpty(CaFile))
            {
                var ca = new X509Certificate2Collection();
                ca.ImportFromPemFile(CaFile);
                if (ca.Count == 0) return $"Redis:CaFile: no PEM certificate in {CaFile}";
            }
        }
        catch (CryptographicException e) { return $"Redis:CaFile: not a PEM certificate file ({e.Message}): {CaFile}"; }
        try
        {
            if (!string.IsNullOrEmpty(ClientCertificateFile)) X509Certificate2.CreateFromPemFile(ClientCertificateFile, ClientKeyFile).Dispose();
        }
        catch (CryptographicException e)
        {
            return $"Redis:ClientCertificateFile / Redis:ClientKeyFile: not a PEM certificate and its unencrypted key ({e.Message}): {ClientCertificateFile}";
        }
        return null;
    }

    public override string ToString() =>
        $"Redis(configuration={Redact(Configuration)}, user={(string.IsNullOrEmpty(User) ? "-" : User)}, password={(string.IsNullOrEmpty(Password) ? "-" : "***")}, " +
        $"ssl={Ssl}, ca={CaFile ?? "-"}, client_cert={ClientCertificateFile ?? "-"}, prefix={KeyPrefix})";

    // StackExchange.Redis splits its configuration on commas, so a password value runs to the next comma.
    [GeneratedRegex(@"(?<key>(?:^|,)\s*password\s*=)[^,]*", RegexOptions.IgnoreCase)]
    private static partial Regex PasswordInConfiguration();
}
