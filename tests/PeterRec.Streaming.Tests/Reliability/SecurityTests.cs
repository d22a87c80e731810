using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Sockets;
using PeterRec.Common.Contracts;
using PeterRec.Common.Redis;
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
}
