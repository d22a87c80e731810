using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Sockets;
using PeterRec.Orchestration;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;
using StackExchange.Redis;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>Redis AUTH passed through; health and metrics endpoints expose neither user ids nor the password.</summary>
[Collection(StreamingCollection.Name)]
public sealed class SecurityTests
{
    private const string Password = "s3cret-Pa55-do-not-log";

    [Fact]
    public async Task Ingest_authenticates_to_a_password_protected_redis_and_its_endpoints_leak_no_user_ids_or_secrets()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        var dir = Path.Combine(Path.GetTempPath(), $"peterrec-auth-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--requirepass", Password })
            psi.ArgumentList.Add(a);
        using var redis = Process.Start(psi)!;
        try
        {
            await Eventually.Async(async () => { try { using var c = new TcpClient(); await c.ConnectAsync(IPAddress.Loopback, port); return true; } catch (SocketException) { return false; } }, TimeSpan.FromSeconds(10));
            using var kafka = new TestKafka(partitions: 1);
            var prefix = RedisFixture.UniquePrefix();
            await using var ingest = await IngestRun.StartAsync(kafka.Bootstrap, $"127.0.0.1:{port}", prefix,
                extra: new Dictionary<string, string?> { ["Redis:Password"] = Password });
            const string user = "private-user-8472";
            var t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000;
            await kafka.ProduceClicksAsync([new ClickEvent(user, "i1", t0), new ClickEvent(user, "i2", t0 + 1)]);
            await ingest.WaitForProcessedAsync(2);

            using (var noAuth = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},abortConnect=false"))
                await Assert.ThrowsAnyAsync<RedisException>(() => noAuth.GetDatabase().ListRangeAsync(new RedisKeys(prefix).Window(user)));
            using var auth = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},password={Password}");
            Assert.Equal(2, (await auth.GetDatabase().ListRangeAsync(new RedisKeys(prefix).Window(user))).Length);

            var address = ingest.App.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            foreach (var path in new[] { "/healthz", "/readyz", "/metrics" })
            {
                var body = await http.GetStringAsync(path);
                Assert.DoesNotContain(user, body);
                Assert.DoesNotContain(Password, body);
            }
            Assert.Contains("peterrec_ingest_events", await http.GetStringAsync("/metrics"));
        }
        finally
        {
            redis.Kill();
            redis.WaitForExit();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_role_never_logs_the_redis_password_and_without_it_stays_not_ready()
    {
        var port = LoopbackPort.Free();
        var dir = Path.Combine(Path.GetTempPath(), $"peterrec-authlog-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in new[] { "--port", $"{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--requirepass", Password })
            psi.ArgumentList.Add(a);
        using var redis = Process.Start(psi)!;
        try
        {
            LoopbackPort.WaitUntilAccepting(redis, port, TimeSpan.FromSeconds(10), "redis-server");
            using var kafka = new TestKafka(partitions: 1);
            var prefix = RedisFixture.UniquePrefix();
            string[] args = ["ingest", "--kafka", kafka.Bootstrap, "--redis", $"127.0.0.1:{port}", "--key-prefix", prefix];
            var verbose = new Dictionary<string, string> { ["PETERREC_Logging__LogLevel__Default"] = "Debug" };
            using var withPassword = RoleProcess.Start("with-password", args, dir, LoopbackPort.Free(),
                new Dictionary<string, string>(verbose) { ["PETERREC_Redis__Password"] = Password, ["PETERREC_Ingest__GroupId"] = "g1" });
            using var withoutPassword = RoleProcess.Start("without-password", args, dir, LoopbackPort.Free(),
                new Dictionary<string, string>(verbose) { ["PETERREC_Ingest__GroupId"] = "g2" });
            using var http = new HttpClient();
            async Task<HttpStatusCode> Ready(RoleProcess role)
            {
                try { return (await http.GetAsync($"http://127.0.0.1:{role.HttpPort}/readyz")).StatusCode; }
                catch (HttpRequestException) { return HttpStatusCode.ServiceUnavailable; }
            }
            await Eventually.Async(async () => await Ready(withPassword) == HttpStatusCode.OK, TimeSpan.FromSeconds(60), () => withPassword.Tail());
            await kafka.ProduceClicksAsync([new ClickEvent("u-log", "i1", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())]);
            using var auth = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},password={Password}");
            await Eventually.Async(async () => await auth.GetDatabase().ListLengthAsync(new RedisKeys(prefix).Window("u-log")) == 1, TimeSpan.FromSeconds(30));
            // The role without the password is up (healthz) but must not claim readiness.
            await Eventually.Async(async () =>
            {
                try { return (await http.GetAsync($"http://127.0.0.1:{withoutPassword.HttpPort}/healthz")).IsSuccessStatusCode; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(60), () => withoutPassword.Tail());
            for (int i = 0; i < 10; i++)
            {
                Assert.NotEqual(HttpStatusCode.OK, await Ready(withoutPassword));
                await Task.Delay(200);
            }
            await withPassword.StopAsync(TimeSpan.FromSeconds(10));
            await withoutPassword.StopAsync(TimeSpan.FromSeconds(10));
            var logs = File.ReadAllText(withPassword.LogPath) + File.ReadAllText(withoutPassword.LogPath);
            Assert.Contains("dbug", logs);                 // Debug logging really was on
            Assert.DoesNotContain(Password, logs);
        }
        finally
        {
            redis.Kill();
            redis.WaitForExit();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
