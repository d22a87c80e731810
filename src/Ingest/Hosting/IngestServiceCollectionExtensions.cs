using Microsoft.Extensions.DependencyInjection;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Ingest.Pipeline;
using PeterRec.Ingest.Windows;
using PeterRec.Ingest.Recovery;
using PeterRec.Hosting;

namespace PeterRec.Ingest.Hosting;

public static class IngestServiceCollectionExtensions
{
    /// <summary>Kafka, Redis and the Ingest pipeline; options are validated when the host starts.</summary>
    public static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddPeterRecKafka();
        services.AddPeterRecRedis();
        services.AddSingleton<WindowWriter>();
        services.AddSingleton<IngestProducer>();
        services.AddSingleton<DeadLetterSink>();
        services.AddSingleton<IngestMetrics>();
        services.AddSingleton<WindowRebuilder>();
        services.AddSingleton<RedisLossGuard>();
        services.AddHealthChecks().AddCheck<RedisLossGuard>("redis-windows", tags: [HealthTags.Ready]);
        services.AddSingleton<ClickBatchHandler>();
        services.AddSingleton<IngestWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestWorker>());
        return services;
    }
}
