using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PeterRec.Contracts;
using PeterRec.Hosting;

namespace PeterRec.Kafka;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>Binds and validates <see cref="KafkaOptions"/> and <see cref="TopicOptions"/>; registers the client
    /// configs, the client factory (a test may register its own <see cref="IKafkaClientFactory"/> first), the Kafka
    /// instruments and a readiness check that every registered consumer holds partitions.</summary>
    public static IServiceCollection AddPeterRecKafka(this IServiceCollection services)
    {
        services.AddOptions<KafkaOptions>().BindConfiguration(KafkaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TopicOptions>().BindConfiguration(TopicOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<KafkaClientConfigs>();
        services.TryAddSingleton<IKafkaClientFactory>(KafkaClientFactory.Instance);
        services.TryAddSingleton<KafkaConsumerRegistry>();
        services.TryAddSingleton<KafkaMetrics>();
        services.AddHealthChecks().AddCheck<KafkaConsumersHealthCheck>("kafka-consumers", tags: [HealthTags.Ready]);
        return services;
    }
}
