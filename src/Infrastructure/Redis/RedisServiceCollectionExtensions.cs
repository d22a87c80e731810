using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeterRec.Hosting;
using PeterRec.Contracts;
using StackExchange.Redis;

namespace PeterRec.Redis;

public static class RedisServiceCollectionExtensions
{
    /// <summary>Binds <see cref="RedisOptions"/> and registers the connection, <see cref="RedisKeys"/>,
    /// <see cref="WindowStore"/>, <see cref="RedisMetrics"/>, the write <see cref="Polly.ResiliencePipeline"/> and a readiness check.</summary>
    public static IServiceCollection AddPeterRecRedis(this IServiceCollection services)
    {
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<RedisOptions>, RedisTlsFilesValidator>();
        services.AddSingleton<RedisConnectionFactory>();
        services.AddSingleton(sp => sp.GetRequiredService<RedisConnectionFactory>().Connection);
        services.AddSingleton(sp => new RedisKeys(sp.GetRequiredService<IOptions<RedisOptions>>().Value.KeyPrefix));
        services.AddSingleton(sp => new WindowStore(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<RedisKeys>()));
        services.TryAddSingleton<PeterRecMetrics>();
        services.AddSingleton<RedisMetrics>();
        services.AddKeyedSingleton(RedisWritePipelineKey, (sp, _) => RedisResilience.CreateWritePipeline(
            sp.GetRequiredService<IOptions<RedisOptions>>().Value, sp.GetRequiredService<ILoggerFactory>().CreateLogger("PeterRec.Redis"),
            sp.GetRequiredService<RedisMetrics>()));
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", tags: [HealthTags.Ready]);
        return services;
    }

    /// <summary>Names the missing TLS file (or the key without its certificate) at start, not on the first connect.</summary>
    private sealed class RedisTlsFilesValidator : IValidateOptions<RedisOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisOptions options) =>
            options.TlsFilesProblem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }

    /// <summary>Service key of the Redis write retry pipeline (<c>[FromKeyedServices(RedisWritePipelineKey)]</c>).</summary>
    public const string RedisWritePipelineKey = "redis-write";
}
