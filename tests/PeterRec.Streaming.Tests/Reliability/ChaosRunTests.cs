using PeterRec.Chaos;
using PeterRec.Streaming.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeterRec.Streaming.Tests.Reliability;

/// <summary>A short <c>peterrec chaos</c>: roles as child processes, kill -9, a Redis outage, broker errors, poison.</summary>
[Collection(StreamingCollection.Name)]
public sealed class ChaosRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Kill_9_redis_outage_and_broker_errors_under_load_lose_and_duplicate_nothing()
    {
        var work = Path.Combine(Path.GetTempPath(), $"peterrec-chaos-{Guid.NewGuid():N}");
        var settings = new ChaosSettings
        {
            WorkDir = work, Seconds = 15, Rate = 200, Users = 100, Items = 50, WindowSize = 10, Partitions = 2, Kills = 3,
            Roles = ["ingest", "serve"], RedisOutageSeconds = 2, BrokerErrors = true, PoisonEvery = 25, DrainSeconds = 30, Seed = 3,
        };
        try
        {
            var report = await new ChaosRunner(settings, output.WriteLine).RunAsync(CancellationToken.None);
            output.WriteLine(report.ToTable());
            Assert.Equal(3, report.Kills);
            Assert.Equal(3, report.RestartsSurvived);
            Assert.True(report.ClicksSent >= 2900, $"{report.ClicksSent} clicks sent");
            Assert.InRange(report.ClicksOnTopic, report.ClicksSent, report.ClicksSent + 10); // no acked click lost by Kafka
            Assert.Equal(0, report.Lost);
            Assert.Equal(0, report.Duplicated);
            Assert.Equal(0, report.UsersWrong);
            Assert.Equal(report.ExpectedWindowEntries, report.WindowEntries);
            Assert.True(report.DeadLettersExpected > 0);
            Assert.Equal(0, report.DeadLettersMissing);
            Assert.True(report.RedisOutageSeconds >= 2);
            Assert.Contains("ingest", report.NotReadyDuringRedisOutage);
            Assert.True(report.Passed);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
