using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace PeterRec.Redis;

/// <summary>
/// TLS to Redis: the server certificate is checked against <see cref="RedisOptions.CaFile"/> (only those CAs are
/// trusted, system roots are not) or, without one, the system store; <see cref="RedisOptions.ClientCertificateFile"/>
/// is offered for mutual TLS. Why a rejection happened is kept for readiness (<see cref="LastRejection"/>).
/// </summary>
internal sealed class RedisTls
{
    private readonly X509Certificate2Collection? _trusted;
    private readonly string? _caFile;

    private RedisTls(RedisOptions o)
    {
        _caFile = o.CaFile;
        if (!string.IsNullOrEmpty(o.CaFile))
        {
            _trusted = [];
            _trusted.ImportFromPemFile(o.CaFile);
            if (_trusted.Count == 0) throw new InvalidOperationException($"Redis:CaFile: no PEM certificate in {o.CaFile}");
        }
    }

    /// <summary>Why the last server certificate was refused (no secrets: subjects, file names, chain status).</summary>
    public string? LastRejection { get; private set; }

    /// <summary>Sets TLS on <paramref name="config"/> from <paramref name="o"/>; null when TLS is off.</summary>
    public static RedisTls? Apply(ConfigurationOptions config, RedisOptions o)
    {
        if (!o.Ssl && !config.Ssl) return null;
        config.Ssl = true;
        if (!string.IsNullOrEmpty(o.SslHost)) config.SslHost = o.SslHost;
        var tls = new RedisTls(o);
        config.CertificateValidation += tls.Validate;
        if (!string.IsNullOrEmpty(o.ClientCertificateFile))
        {
            // Loaded once, up front: a bad file fails the role at start, not on every reconnect.
            var client = X509Certificate2.CreateFromPemFile(o.ClientCertificateFile, o.ClientKeyFile);
            config.CertificateSelection += (_, _, _, _, _) => client;
        }
        return tls;
    }

    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var ok = Check(certificate, errors, out var reason);
        LastRejection = ok ? null : reason;
        return ok;
    }

    private bool Check(X509Certificate? certificate, SslPolicyErrors errors, out string reason)
    {
        reason = "";
        if (certificate is null) { reason = "the server sent no certificate"; return false; }
        using var server = new X509Certificate2(certificate);
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            reason = $"server certificate ({server.Subject}) does not name the host connected to; set Redis:SslHost to a name it carries";
            return false;
        }
        if (_trusted is null)
        {
            if (errors == SslPolicyErrors.None) return true;
            reason = $"server certificate ({server.Subject}, issued by {server.Issuer}) not trusted by the system store ({errors}); set Redis:CaFile to its CA";
            return false;
        }
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (custom.Build(server)) return true;
        var status = string.Join("; ", custom.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        reason = $"server certificate ({server.Subject}, issued by {server.Issuer}) not trusted by Redis:CaFile {_caFile}: {status}";
        return false;
    }
}
