using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Orchestration;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>
/// Redis as production runs it: TLS with a private CA and client certificates, an ACL user. A role writes and reads
/// through it; a wrong or missing password and an untrusted server certificate each fail readiness with the reason
/// in words, and no password reaches a log, also when it sits inside the connection string.
/// </summary>
[Collection(StreamingCollection.Name)]
public sealed class RedisTlsAclTests : IDisposable
{
    private readonly TlsRedis _redis = new();
    private readonly TestKafka _kafka = new(partitions: 1);
    private readonly string _logs = Path.Combine(Path.GetTempPath(), $"peterrec-tlslogs-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_role_writes_and_reads_windows_over_tls_as_an_acl_user_with_a_client_certificate()
    {
        var prefix = RedisFixture.UniquePrefix();
        await using var ingest = await IngestRun.StartAsync(_kafka.Bootstrap, $"127.0.0.1:{_redis.Port}", prefix, extra: _redis.RoleConfig());
        var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000;
        await _kafka.ProduceClicksAsync([new ClickEvent("tls-user", "i1", t0), new ClickEvent("tls-user", "i2", t0 + 1)]);
        await ingest.WaitForProcessedAsync(2, TimeSpan.FromSeconds(60));

        // Read back through the role's own TLS + ACL connection.
        var window = await ingest.App.Services.GetRequiredService<WindowStore>().ReadAsync("tls-user");
        Assert.Equal(["i1", "i2"], window.Select(e => e.Item));
        var address = ingest.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        await Eventually.Async(async () => (await http.GetAsync("/readyz")).IsSuccessStatusCode, TimeSpan.FromSeconds(30),
            () => http.GetStringAsync("/readyz").Result);
    }

    [Fact]
    public async Task A_wrong_or_missing_password_fails_readiness_as_an_authentication_failure_and_no_password_is_logged()
    {
        const string wrong = "wrong-Pa55-never-in-a-log";
        using var wrongPassword = StartIngest("wrong-password", Env(new() { ["Redis:Password"] = wrong }));
        using var noPassword = StartIngest("no-password", Env(new() { ["Redis:Password"] = null, ["Redis:User"] = null }));
        foreach (var role in new[] { wrongPassword, noPassword })
        {
            var (status, body) = await WaitForReadinessMentioningAsync(role, "authentication failed");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
            Assert.DoesNotContain(wrong, body);
            Assert.DoesNotContain(TlsRedis.Password, body);
        }
        await wrongPassword.StopAsync(TimeSpan.FromSeconds(10));
        await noPassword.StopAsync(TimeSpan.FromSeconds(10));
        var wrongLog = File.ReadAllText(wrongPassword.LogPath);
        Assert.Contains("authentication failed", wrongLog);
        Assert.Contains("dbug", wrongLog); // Debug logging really was on
        foreach (var log in new[] { wrongLog, File.ReadAllText(noPassword.LogPath) })
            foreach (var secret in new[] { wrong, TlsRedis.Password, TlsRedis.DefaultUserPassword })
                Assert.DoesNotContain(secret, log);
    }

    [Fact]
    public async Task A_server_certificate_from_another_ca_fails_readiness_as_not_trusted()
    {
        using var role = StartIngest("untrusted", Env(new() { ["Redis:CaFile"] = _redis.OtherCaFile }));
        var (status, body) = await WaitForReadinessMentioningAsync(role, "not trusted");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("PeterRec Test CA", body);   // names the issuer it refused
        await role.StopAsync(TimeSpan.FromSeconds(10));
        var log = File.ReadAllText(role.LogPath);
        Assert.Contains("not trusted", log);
        Assert.DoesNotContain(TlsRedis.Password, log);
    }

    [Fact]
    public async Task A_password_inside_the_connection_string_works_and_is_redacted_in_the_startup_log()
    {
        var env = Env(new()
        {
            ["Redis:Configuration"] = $"127.0.0.1:{_redis.Port},user={TlsRedis.User},password={TlsRedis.Password}",
            ["Redis:User"] = null,
            ["Redis:Password"] = null,
        });
        using var role = StartIngest("password-in-configuration", env);
        await WaitForReadinessMentioningAsync(role, "PING");
        await role.StopAsync(TimeSpan.FromSeconds(10));
        var log = File.ReadAllText(role.LogPath);
        Assert.Contains("password=***", log);
        Assert.DoesNotContain(TlsRedis.Password, log);
    }

    [Fact]
    public async Task A_missing_ca_file_stops_the_role_at_start_naming_the_option()
    {
        var missing = Path.Combine(_redis.Dir, "no-such-ca.crt");
        using var role = StartIngest("missing-ca", Env(new() { ["Redis:CaFile"] = missing }));
        Assert.Equal(2, await role.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        // Output is copied to the log asynchronously: the last line may land just after the exit.
        await Eventually.Async(() => Task.FromResult(File.ReadAllText(role.LogPath).Contains($"invalid configuration: Redis:CaFile: file not found: {missing}", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), () => role.Tail());
    }

    [Fact]
    public void A_ca_file_that_is_not_pem_or_a_key_without_its_certificate_is_named()
    {
        var notPem = Path.Combine(_redis.Dir, "not-pem.crt");
        File.WriteAllText(notPem, "not a certificate");
        Assert.Equal($"Redis:CaFile: no PEM certificate in {notPem}", new RedisOptions { CaFile = notPem }.TlsFilesProblem());
        Assert.StartsWith("Redis:ClientCertificateFile and Redis:ClientKeyFile go together",
            new RedisOptions { ClientKeyFile = _redis.ClientKeyFile }.TlsFilesProblem());
        Assert.StartsWith("Redis:ClientCertificateFile / Redis:ClientKeyFile: not a PEM certificate",
            new RedisOptions { ClientCertificateFile = _redis.ClientCertificateFile, ClientKeyFile = notPem }.TlsFilesProblem());
        Assert.Null(new RedisOptions { CaFile = _redis.CaFile, ClientCertificateFile = _redis.ClientCertificateFile, ClientKeyFile = _redis.ClientKeyFile }.TlsFilesProblem());
    }

    [Theory]
    [InlineData("h:6379,password=p4ss", "h:6379,password=***")]
    [InlineData("h:6379,Password = p4ss,ssl=true", "h:6379,Password =***,ssl=true")]
    [InlineData("password=p4ss,h:6379", "password=***,h:6379")]
    [InlineData("h:6379", "h:6379")]
    public void Redis_options_never_show_a_password(string configuration, string shown)
    {
        var options = new RedisOptions { Configuration = configuration, Password = "other-secret", User = "acl" };
        Assert.Contains($"configuration={shown},", options.ToString());
        Assert.DoesNotContain("p4ss", options.ToString());
        Assert.DoesNotContain("other-secret", options.ToString());
    }

    /// <summary>Environment for an Ingest child process: the trusted TLS + ACL configuration with <paramref name="changes"/>
    /// (null removes a key), Debug logging on so a leak anywhere would show.</summary>
    private Dictionary<string, string> Env(Dictionary<string, string?> changes)
    {
        var config = _redis.RoleConfig();
        foreach (var (k, v) in changes) config[k] = v;
        var env = config.Where(kv => kv.Value is not null).ToDictionary(kv => "PETERREC_" + kv.Key.Replace(":", "__"), kv => kv.Value!);
        env["PETERREC_Logging__LogLevel__Default"] = "Debug";
        env["PETERREC_Redis__TimeoutMs"] = "2000";
        env["PETERREC_Ingest__GroupId"] = $"g-{Guid.NewGuid():N}";
        return env;
    }

    private RoleProcess StartIngest(string name, Dictionary<string, string> env) =>
        RoleProcess.Start(name, ["ingest", "--kafka", _kafka.Bootstrap, "--key-prefix", RedisFixture.UniquePrefix()], _logs, LoopbackPort.Free(), env);

    /// <summary>Polls <c>/readyz</c> until its body mentions <paramref name="words"/>; returns that response.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> WaitForReadinessMentioningAsync(RoleProcess role, string words)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        (HttpStatusCode, string) last = default;
        await Eventually.Async(async () =>
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{role.HttpPort}/readyz");
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                return last.Item2.Contains(words, StringComparison.Ordinal);
            }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60), () => $"last /readyz: {last}\n{role.Tail()}");
        return last;
    }

    public void Dispose()
    {
        _kafka.Dispose();
        _redis.Dispose();
        try { Directory.Delete(_logs, recursive: true); } catch (IOException) { }
    }
}
