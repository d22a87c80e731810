using System.ComponentModel.DataAnnotations;
using Confluent.Kafka;

namespace PeterRec.Kafka;

/// <summary>
/// Broker connection (configuration section <c>Kafka</c>, env <c>PETERREC_Kafka__BootstrapServers</c> etc.).
/// Exactly one of <see cref="BootstrapServers"/> and <see cref="BootstrapFile"/> is set.
/// </summary>
public sealed class KafkaOptions : IValidatableObject
{
    public const string Section = "Kafka";

    /// <summary>(string) host:port[,host:port...]</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>(path) a file holding the bootstrap string, as written by <c>peterrec dev-broker --bootstrap-file</c>; read at start.</summary>
    public string? BootstrapFile { get; set; }

    /// <summary>(seconds) how long to wait for <see cref="BootstrapFile"/> to appear.</summary>
    [Range(0, 600)] public int BootstrapFileWaitSeconds { get; set; } = 30;

    public SecurityProtocol SecurityProtocol { get; set; } = SecurityProtocol.Plaintext;

    public SaslMechanism? SaslMechanism { get; set; }

    public string? SaslUsername { get; set; }

    /// <summary>Never logged: <see cref="ToString"/> masks it.</summary>
    public string? SaslPassword { get; set; }

    /// <summary>(path) CA bundle for SSL / SASL_SSL.</summary>
    public string? SslCaLocation { get; set; }

    /// <summary>(path) Client certificate (PEM) for mutual TLS.</summary>
    public string? SslCertificateLocation { get; set; }

    /// <summary>(path) The client certificate's private key (PEM).</summary>
    public string? SslKeyLocation { get; set; }

    /// <summary>Passphrase of <see cref="SslKeyLocation"/>, if encrypted. Never logged.</summary>
    public string? SslKeyPassword { get; set; }

    /// <summary>(Default|Oidc) With <c>SaslMechanism=OAuthBearer</c>: <c>Oidc</c> makes librdkafka fetch tokens itself
    /// (client credentials grant) from <see cref="SaslOauthbearerTokenEndpointUrl"/>.</summary>
    public SaslOauthbearerMethod SaslOauthbearerMethod { get; set; } = SaslOauthbearerMethod.Default;

    public string? SaslOauthbearerClientId { get; set; }

    /// <summary>Never logged.</summary>
    public string? SaslOauthbearerClientSecret { get; set; }

    /// <summary>(url) The identity provider's token endpoint.</summary>
    public string? SaslOauthbearerTokenEndpointUrl { get; set; }

    /// <summary>(string) Space-separated scopes to request; empty = none.</summary>
    public string? SaslOauthbearerScope { get; set; }

    /// <summary>(map) Any other librdkafka property, applied last to every client (<c>Kafka:Config:session.timeout.ms</c>;
    /// env <c>PETERREC_Kafka__Config__session_timeout_ms</c>: '_' stands for '.', since no librdkafka property has an
    /// underscore). Values of keys naming a password, secret or key are never logged.</summary>
    public Dictionary<string, string> Config { get; set; } = [];

    /// <summary><see cref="Config"/> with property names normalized ('_' to '.', lower case).</summary>
    public IReadOnlyDictionary<string, string> LibrdkafkaConfig =>
        Config.ToDictionary(kv => NormalizeProperty(kv.Key), kv => kv.Value, StringComparer.Ordinal);

    public static string NormalizeProperty(string key) => key.Trim().Replace('_', '.').ToLowerInvariant();

    /// <summary>True for a property whose value must not appear in logs.</summary>
    public static bool IsSecret(string property) =>
        property.Contains("password", StringComparison.OrdinalIgnoreCase) || property.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || property.Contains("key", StringComparison.OrdinalIgnoreCase) || property.Contains("token", StringComparison.OrdinalIgnoreCase)
        || property.Contains("jaas", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for a consumer-only property (librdkafka warns when a producer or admin client is given one).</summary>
    public static bool IsConsumerOnly(string property) => ConsumerOnlyPrefixes.Any(p => property.StartsWith(p, StringComparison.Ordinal));

    private static readonly string[] ConsumerOnlyPrefixes =
    [
        "group.", "enable.auto.", "auto.", "fetch.", "queued.", "partition.assignment.", "session.timeout.", "heartbeat.",
        "enable.partition.eof", "isolation.", "check.crcs", "max.poll.", "coordinator.", "consume.",
    ];

    /// <summary>Properties the typed options or the consume loop own: set through them, not <see cref="Config"/>.</summary>
    private static readonly Dictionary<string, string> Owned = new(StringComparer.Ordinal)
    {
        ["bootstrap.servers"] = "Kafka:BootstrapServers",
        ["group.id"] = "the role's GroupId option",
        ["group.protocol"] = "Kafka:GroupProtocol",
        ["group.instance.id"] = "Kafka:GroupInstanceId",
        ["enable.auto.offset.store"] = "nothing: offsets are stored only after a batch is durable",
    };

    /// <summary>(classic|consumer) Consumer-group protocol. <c>classic</c> (default) works with every broker from Kafka 2.8 on
    /// and uses the <c>cooperative-sticky</c> assignor (incremental rebalances); <c>consumer</c> is KIP-848 (Kafka 4.0+),
    /// where the broker assigns partitions.</summary>
    public GroupProtocol GroupProtocol { get; set; } = GroupProtocol.Classic;

    /// <summary>(string) Static membership (<c>group.instance.id</c>): a stable id per process (the chart uses the pod name),
    /// so a restarted member takes its partitions back instead of joining as a stranger. Empty: dynamic membership.</summary>
    [MaxLength(249)] public string? GroupInstanceId { get; set; }

    public bool UsesSasl => SecurityProtocol is SecurityProtocol.SaslPlaintext or SecurityProtocol.SaslSsl;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var hasServers = !string.IsNullOrWhiteSpace(BootstrapServers);
        var hasFile = !string.IsNullOrWhiteSpace(BootstrapFile);
        if (hasServers == hasFile)
            yield return new ValidationResult(
                "Set exactly one of Kafka:BootstrapServers and Kafka:BootstrapFile (--kafka or --bootstrap-file)",
                [nameof(BootstrapServers), nameof(BootstrapFile)]);
        if (UsesSasl)
        {
            if (SaslMechanism is null)
                yield return new ValidationResult($"Kafka:SecurityProtocol={SecurityProtocol} needs Kafka:SaslMechanism", [nameof(SaslMechanism)]);
            var needsPassword = SaslMechanism is Confluent.Kafka.SaslMechanism.Plain
                or Confluent.Kafka.SaslMechanism.ScramSha256 or Confluent.Kafka.SaslMechanism.ScramSha512;
            if (needsPassword && (string.IsNullOrEmpty(SaslUsername) || string.IsNullOrEmpty(SaslPassword)))
                yield return new ValidationResult(
                    $"Kafka:SaslMechanism={SaslMechanism} needs Kafka:SaslUsername and Kafka:SaslPassword (refusing to start without credentials)",
                    [nameof(SaslUsername), nameof(SaslPassword)]);
        }
        foreach (var (name, path) in new[] { (nameof(SslCaLocation), SslCaLocation), (nameof(SslCertificateLocation), SslCertificateLocation), (nameof(SslKeyLocation), SslKeyLocation) })
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
                yield return new ValidationResult($"Kafka:{name} '{path}' does not exist", [name]);
        if (string.IsNullOrEmpty(SslCertificateLocation) != string.IsNullOrEmpty(SslKeyLocation))
            yield return new ValidationResult("Kafka:SslCertificateLocation and Kafka:SslKeyLocation go together (mutual TLS needs both)",
                [nameof(SslCertificateLocation), nameof(SslKeyLocation)]);
        if (SaslOauthbearerMethod == SaslOauthbearerMethod.Oidc
            && (string.IsNullOrEmpty(SaslOauthbearerClientId) || string.IsNullOrEmpty(SaslOauthbearerClientSecret) || string.IsNullOrEmpty(SaslOauthbearerTokenEndpointUrl)))
            yield return new ValidationResult(
                "Kafka:SaslOauthbearerMethod=Oidc needs Kafka:SaslOauthbearerClientId, Kafka:SaslOauthbearerClientSecret and Kafka:SaslOauthbearerTokenEndpointUrl",
                [nameof(SaslOauthbearerClientId), nameof(SaslOauthbearerClientSecret), nameof(SaslOauthbearerTokenEndpointUrl)]);
        foreach (var key in Config.Keys)
        {
            var property = NormalizeProperty(key);
            if (property.Length == 0 || !property.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.'))
                yield return new ValidationResult($"Kafka:Config:{key} is not a librdkafka property name (letters, digits and dots)", [nameof(Config)]);
            else if (Owned.TryGetValue(property, out var instead))
                yield return new ValidationResult($"Kafka:Config:{key} is not settable here; use {instead}", [nameof(Config)]);
        }
    }

    public override string ToString() =>
        $"Kafka(bootstrap={BootstrapServers ?? $"file:{BootstrapFile}"}, security={SecurityProtocol}, sasl={SaslMechanism?.ToString() ?? "none"}, " +
        $"user={SaslUsername ?? "-"}, password={Mask(SaslPassword)}, " +
        $"group-protocol={GroupProtocol.ToString().ToLowerInvariant()}, instance={GroupInstanceId ?? "-"}, " +
        $"client-cert={SslCertificateLocation ?? "-"}, key-password={Mask(SslKeyPassword)}, oauthbearer={SaslOauthbearerMethod.ToString().ToLowerInvariant()}, " +
        $"oidc-client={SaslOauthbearerClientId ?? "-"}, oidc-secret={Mask(SaslOauthbearerClientSecret)}, " +
        $"config={{{string.Join(", ", LibrdkafkaConfig.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={(IsSecret(kv.Key) ? "***" : kv.Value)}"))}}})";

    private static string Mask(string? secret) => string.IsNullOrEmpty(secret) ? "-" : "***";
}
