using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PeterRec.Kafka;

/// <summary>Ready when at least one consumer runs and every consumer holds partitions and has no failing batch.</summary>
public sealed class KafkaConsumersHealthCheck(KafkaConsumerRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var consumers = registry.Consumers;
        if (consumers.Count == 0) return Task.FromResult(HealthCheckResult.Unhealthy("no Kafka consumer running yet"));
        var notReady = consumers.Where(c => !c.IsReady)
            .Select(c => $"{c.Name}: {c.LastError ?? (c.Assignment.Count == 0 ? "no partitions assigned" : "not running")}")
            .ToList();
        var data = consumers.ToDictionary(c => c.Name, c => (object)c.Assignment.Count);
        return Task.FromResult(notReady.Count == 0
            ? HealthCheckResult.Healthy($"{consumers.Count} consumer(s) assigned", data)
            : HealthCheckResult.Unhealthy(string.Join("; ", notReady), data: data));
    }
}
