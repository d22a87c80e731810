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
        if (!string.IsNullOrEmpty(SslCaLocation) && !File.Exists(SslCaLocation))
            yield return new ValidationResult($"Kafka:SslCaLocation '{SslCaLocation}' does not exist", [nameof(SslCaLocation)]);
    }

    public override string ToString() =>
        $"Kafka(bootstrap={BootstrapServers ?? $"file:{BootstrapFile}"}, security={SecurityProtocol}, sasl={SaslMechanism?.ToString() ?? "none"}, " +
        $"user={SaslUsername ?? "-"}, password={(string.IsNullOrEmpty(SaslPassword) ? "-" : "***")})";
}
