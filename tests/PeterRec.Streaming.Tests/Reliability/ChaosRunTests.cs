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

    [Fact]
    public async Task A_failed_chaos_run_keeps_its_work_directory_with_the_logs_report_and_audit_and_says_where()
    {
        var work = Path.Combine(Path.GetTempPath(), $"peterrec-chaos-{Guid.NewGuid():N}");
        // No roles: the clicks are never applied, so the audit finds every window missing and the run fails.
        var settings = new ChaosSettings
        {
            WorkDir = work, Seconds = 2, Rate = 50, Users = 10, Items = 20, WindowSize = 5, Partitions = 1, Kills = 0,
            Roles = [], PoisonEvery = 0, DrainSeconds = 0, Seed = 3,
        };
        var lines = new List<string>();
        var report = await new ChaosRunner(settings, lines.Add).RunAsync(CancellationToken.None);
        try
        {
            Assert.False(report.Passed);
            Assert.NotNull(report.KeptWorkDir);
            Assert.StartsWith(work + "-failed-", report.KeptWorkDir);
            Assert.False(Directory.Exists(work));
            Assert.Contains(lines, l => l.Contains(report.KeptWorkDir!, StringComparison.Ordinal));
            Assert.Contains(report.KeptWorkDir!, report.ToTable());
            Assert.Contains("load done", File.ReadAllText(Path.Combine(report.KeptWorkDir!, "chaos.log")));
            Assert.Contains("\"passed\": false", File.ReadAllText(Path.Combine(report.KeptWorkDir!, "report.json")));
            Assert.Contains(File.ReadAllLines(Path.Combine(report.KeptWorkDir!, "audit.txt")), l => l.StartsWith("window u", StringComparison.Ordinal));
            Assert.True(File.Exists(Path.Combine(report.KeptWorkDir!, "redis", "appendonly.aof"))
                || Directory.Exists(Path.Combine(report.KeptWorkDir!, "redis")), "the Redis data directory was not kept");
        }
        finally
        {
            try { Directory.Delete(report.KeptWorkDir ?? work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>
    /// The short CI variant of <c>chaos --replicas 3 --redis-cluster</c>: two instances each of Ingest and Serving on a
    /// Redis Cluster; each role scaled up, down with SIGTERM and down with kill -9 while clicks flow, random kill -9s,
    /// a random kill -9 and one Redis master killed (its replica takes over). Slow (about 90 s under load: seven role starts, a cluster) because
    /// the scale steps and a failover are what it pins; the long runs are in docs/reliability.md.
    /// </summary>
    [Fact]
    public async Task Scaling_ingest_and_serving_up_and_down_on_a_redis_cluster_with_a_master_killed_loses_and_duplicates_nothing()
    {
        var work = Path.Combine(Path.GetTempPath(), $"peterrec-chaos-{Guid.NewGuid():N}");
        var settings = new ChaosSettings
        {
            WorkDir = work, Seconds = 20, Rate = 150, Users = 100, Items = 50, WindowSize = 10, Partitions = 3, Kills = 1,
            Roles = ["ingest", "serve"], PoisonEvery = 25, DrainSeconds = 60, Seed = 5, Replicas = 2, RedisCluster = true,
        };
        try
        {
            var report = await new ChaosRunner(settings, output.WriteLine).RunAsync(CancellationToken.None);
            output.WriteLine(report.ToTable());
            Assert.Equal((2, 2, 2), (report.ScaledUp, report.ScaledDownTerm, report.ScaledDownKill));
            Assert.Equal(1, report.RedisMasterKills);
            Assert.Equal(1, report.Kills);
            Assert.True(report.Rebalances["ingest"] >= 3 && report.Rebalances["serve"] >= 3,
                $"rebalances seen: {string.Join(", ", report.Rebalances)}");
            Assert.InRange(report.ClicksOnTopic, report.ClicksSent, report.ClicksSent + 10);
            Assert.Equal(0, report.Lost);
            Assert.Equal(0, report.Duplicated);
            Assert.Equal(0, report.UsersWrong);
            Assert.True(report.DeadLettersExpected > 0);
            Assert.Equal(0, report.DeadLettersMissing);
            Assert.True(report.Passed);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
