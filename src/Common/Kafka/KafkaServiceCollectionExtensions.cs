using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PeterRec.Common.Contracts;
using PeterRec.Common.Hosting;

namespace PeterRec.Common.Kafka;

public static class KafkaServiceCollectionExtensions
{
    /// <summary>Binds and validates <see cref="KafkaOptions"/> and <see cref="TopicOptions"/>; registers the client
    /// factory and a readiness check that every registered consumer holds partitions.</summary>
    public static IServiceCollection AddPeterRecKafka(this IServiceCollection services)
    {
        services.AddOptions<KafkaOptions>().BindConfiguration(KafkaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TopicOptions>().BindConfiguration(TopicOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<KafkaClientFactory>();
        services.TryAddSingleton<KafkaConsumerRegistry>();
        services.AddHealthChecks().AddCheck<KafkaConsumersHealthCheck>("kafka-consumers", tags: [HealthTags.Ready]);
        return services;
    }
}
