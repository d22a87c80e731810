using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PeterRec.DevBroker;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>
/// A private <c>redis-server</c> that speaks only TLS (server certificate from a CA made here, client certificates
/// required) and only to the ACL user <see cref="User"/>; the default user has another password. Also writes an
/// unrelated CA (<see cref="OtherCaFile"/>) for the untrusted-certificate case.
/// </summary>
public sealed class TlsRedis : IDisposable
{
    public const string User = "peterrec-acl";
    public const string Password = "acl-Pa55-never-in-a-log";
    public const string DefaultUserPassword = "default-Pa55-never-in-a-log";

    private readonly Process _process;

    public TlsRedis()
    {
        Dir = Path.Combine(Path.GetTempPath(), $"peterrec-tls-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Dir);
        using var ca = CreateCa("PeterRec Test CA");
        using var other = CreateCa("Someone Else's CA");
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        File.WriteAllText(OtherCaFile, other.ExportCertificatePem());
        WriteLeaf(ca, "localhost", server: true, Path.Combine(Dir, "server.crt"), Path.Combine(Dir, "server.key"));
        WriteLeaf(ca, "peterrec-client", server: false, ClientCertificateFile, ClientKeyFile);

        Port = LoopbackPort.Free();
        var psi = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[]
        {
            "--port", "0", "--tls-port", $"{Port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Dir,
            "--tls-cert-file", Path.Combine(Dir, "server.crt"), "--tls-key-file", Path.Combine(Dir, "server.key"),
            "--tls-ca-cert-file", CaFile, "--tls-auth-clients", "yes",
            "--requirepass", DefaultUserPassword,
            "--user", User, "on", $">{Password}", "~*", "&*", "+@all",
        })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        LoopbackPort.WaitUntilAccepting(_process, Port, TimeSpan.FromSeconds(10), "redis-server (TLS)");
    }

    public string Dir { get; }

    public int Port { get; }

    public string CaFile => Path.Combine(Dir, "ca.crt");

    public string OtherCaFile => Path.Combine(Dir, "other-ca.crt");

    public string ClientCertificateFile => Path.Combine(Dir, "client.crt");

    public string ClientKeyFile => Path.Combine(Dir, "client.key");

    /// <summary>Role configuration for a trusted, authenticated connection; tests override single keys.</summary>
    public Dictionary<string, string?> RoleConfig() => new()
    {
        ["Redis:Configuration"] = $"127.0.0.1:{Port}",
        ["Redis:User"] = User,
        ["Redis:Password"] = Password,
        ["Redis:Ssl"] = "true",
        ["Redis:CaFile"] = CaFile,
        ["Redis:ClientCertificateFile"] = ClientCertificateFile,
        ["Redis:ClientKeyFile"] = ClientKeyFile,
    };

    public void Dispose()
    {
        try { _process.Kill(); _process.WaitForExit(); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A certificate signed by <paramref name="ca"/> for localhost and 127.0.0.1 (server) or a client, as PEM files.</summary>
    private static void WriteLeaf(X509Certificate2 ca, string name, bool server, string certFile, string keyFile)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
        }
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), [0x01, .. RandomNumberGenerator.GetBytes(8)]);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
