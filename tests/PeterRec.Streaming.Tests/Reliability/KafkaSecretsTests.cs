using System.Net;
using PeterRec.Contracts;
using PeterRec.DevBroker;
using PeterRec.Orchestration;
using PeterRec.Redis;
using PeterRec.Streaming.Tests.Infrastructure;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>Kafka credentials (typed options and <c>Kafka:Config</c> pass-through) reach librdkafka but never a log line.</summary>
[Collection(StreamingCollection.Name)]
public sealed class KafkaSecretsTests(RedisFixture redis)
{
    [Fact]
    public async Task A_role_with_debug_logging_never_logs_kafka_passwords_keys_or_client_secrets()
    {
        string[] secrets = ["sasl-Pa55-do-not-log", "keypass-do-not-log", "oidc-secret-do-not-log", "keystore-do-not-log", "passthrough-secret-do-not-log"];
        using var kafka = new TestKafka(partitions: 1);
        var dir = Path.Combine(Path.GetTempPath(), $"peterrec-kafkasecrets-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var prefix = RedisFixture.UniquePrefix();
            var env = new Dictionary<string, string>
            {
                ["PETERREC_Logging__LogLevel__Default"] = "Debug",
                // Plaintext ignores the credentials, but every client config carries them.
                ["PETERREC_Kafka__SaslUsername"] = "svc",
                ["PETERREC_Kafka__SaslPassword"] = secrets[0],
                ["PETERREC_Kafka__SslKeyPassword"] = secrets[1],
                ["PETERREC_Kafka__SaslOauthbearerClientSecret"] = secrets[2],
                ["PETERREC_Kafka__Config__ssl_keystore_password"] = secrets[3],
                ["PETERREC_Kafka__Config__sasl.oauthbearer.client.secret"] = secrets[4],
                // librdkafka dumps every client's configuration into the (debug) log.
                ["PETERREC_Kafka__Config__debug"] = "conf,security",
                ["PETERREC_Kafka__Config__client_rack"] = "rack-visible-in-log",
            };
            using var role = RoleProcess.Start("ingest", ["ingest", "--kafka", kafka.Bootstrap, "--redis", redis.Configuration, "--key-prefix", prefix],
                dir, LoopbackPort.Free(), env);
            using var http = new HttpClient();
            await Eventually.Async(async () =>
            {
                try { return (await http.GetAsync($"http://127.0.0.1:{role.HttpPort}/readyz")).StatusCode == HttpStatusCode.OK; }
                catch (HttpRequestException) { return false; }
            }, TimeSpan.FromSeconds(60), () => role.Tail());
            await kafka.ProduceClicksAsync([new ClickEvent("u-secret", "i1", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())]);
            await Eventually.Async(async () => await redis.Connection.GetDatabase().ListLengthAsync(new RedisKeys(prefix).Window("u-secret")) == 1,
                TimeSpan.FromSeconds(30), () => role.Tail());
            await role.StopAsync(TimeSpan.FromSeconds(10));

            var logs = File.ReadAllText(role.LogPath);
            Assert.Contains("librdkafka", logs);            // librdkafka's own debug lines are in the log
            Assert.Contains("rack-visible-in-log", logs);   // pass-through values do reach the log ...
            Assert.Contains("ssl.keystore.password=***", logs);
            foreach (var secret in secrets) Assert.DoesNotContain(secret, logs); // ... secrets never
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
