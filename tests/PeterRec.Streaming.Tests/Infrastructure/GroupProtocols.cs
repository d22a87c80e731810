namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>The consumer-group protocols a streaming test runs on (<c>Kafka:GroupProtocol</c>): the dev broker speaks
/// both, as brokers from Kafka 4.0 do; brokers before 4.0 speak only classic.</summary>
public static class GroupProtocols
{
    public static TheoryData<string> Both => ["classic", "consumer"];

    /// <summary>
    /// A classic member's session timeout in tests. librdkafka's mock cluster does not act on a classic LeaveGroup, so
    /// a successor in the same group waits until the departed member's session expires (45 s by default); a real
    /// broker rebalances at once. KIP-848 members leave at once on the mock too.
    /// </summary>
    public const string ClassicSessionTimeoutMs = "6000";

    /// <summary>The configuration keys that select <paramref name="protocol"/> for a role.</summary>
    public static Dictionary<string, string?> Settings(string protocol) => protocol == "classic"
        ? new() { ["Kafka:GroupProtocol"] = protocol, ["Kafka:Config:session.timeout.ms"] = ClassicSessionTimeoutMs }
        : new() { ["Kafka:GroupProtocol"] = protocol };
}
