using System.CommandLine;
using System.Runtime.InteropServices;
using PeterRec.Contracts;
using PeterRec.DevBroker;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec dev-broker</c>: a local Kafka (librdkafka mock cluster) for development, up until SIGINT/SIGTERM.</summary>
public static class DevBrokerCommand
{
    public static Command Create()
    {
        var partitions = new Option<int>("--partitions") { Description = "Partitions per topic", DefaultValueFactory = _ => 4 }.Between(1, 10_000);
        var brokers = new Option<int>("--brokers") { Description = "Number of mock brokers", DefaultValueFactory = _ => 1 }.Between(1, 100);
        var bootstrapFile = new Option<FileInfo?>("--bootstrap-file")
        {
            Description = "Write the bootstrap address here (atomically) for other processes; removed on exit",
        }.OutputFile();
        var topics = new Option<string[]>("--topics")
        {
            Description = "Topics to create (default: the project's topics)",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [.. new TopicOptions().All],
        }.Must(t => t is { Length: > 0 } && t.All(x => System.Text.RegularExpressions.Regex.IsMatch(x, "^[A-Za-z0-9._-]{1,249}$")),
            "one or more Kafka topic names (letters, digits, '.', '_', '-')");
        var sessionTimeout = new Option<int>("--session-timeout-ms")
        {
            Description = "How long a killed KIP-848 member keeps its partitions (Kafka's default is 45000); a classic member's is its own session.timeout.ms (Kafka:Config)",
            DefaultValueFactory = _ => 10_000,
        }.AtLeast(1);
        var cmd = new Command("dev-broker", "Run an in-process Kafka mock cluster with the project's topics until interrupted")
        {
            partitions, brokers, bootstrapFile, topics, sessionTimeout,
        };
        cmd.SetAction((parseResult, ct) => Run(
            parseResult.GetValue(partitions), parseResult.GetValue(brokers), parseResult.GetValue(bootstrapFile),
            parseResult.GetValue(topics) ?? [], TimeSpan.FromMilliseconds(parseResult.GetValue(sessionTimeout)), ct));
        return cmd;
    }

    private static async Task<int> Run(int partitions, int brokers, FileInfo? bootstrapFile, string[] topics, TimeSpan sessionTimeout, CancellationToken ct)
    {
        if (partitions < 1 || brokers < 1)
        {
            await Console.Error.WriteLineAsync("--partitions and --brokers must be >= 1");
            return 2;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // System.CommandLine cancels on SIGINT; SIGTERM (e.g. `kill`) needs its own registration to run cleanup.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.Cancel(); });

        using var cluster = new MockKafkaCluster(brokers);
        cluster.SetConsumerGroupSessionTimeout(sessionTimeout);
        foreach (var topic in topics.Distinct())
            cluster.CreateTopic(topic, partitions, replicationFactor: Math.Min(3, brokers));
        if (bootstrapFile is not null) WriteAtomically(bootstrapFile.FullName, cluster.BootstrapServers + "\n");
        Console.WriteLine(cluster.BootstrapServers);
        await Console.Error.WriteLineAsync(
            $"dev-broker: {brokers} broker(s), topics {string.Join(", ", topics)} x {partitions} partitions; Ctrl-C to stop");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // Normal shutdown.
        }
        finally
        {
            if (bootstrapFile is not null) File.Delete(bootstrapFile.FullName);
        }
        await Console.Error.WriteLineAsync("dev-broker: stopped");
        return 0;
    }

    /// <summary>Readers polling for the file never see it half-written.</summary>
    internal static void WriteAtomically(string path, string content)
    {
        var dir = Path.GetDirectoryName(path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
