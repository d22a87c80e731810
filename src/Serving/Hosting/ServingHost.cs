using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PeterRec.Hosting;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Serving.Scoring;

namespace PeterRec.Serving.Hosting;

/// <summary>Builds the Serving role: service defaults, Kafka, Redis, the shared backbone, /healthz, /readyz, /metrics.</summary>
public static class ServingHost
{
    /// <param name="overrides">Configuration keys set last (command-line options): <c>Serving:Tasks:0</c>, ...</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = ServiceDefaults.CreateRoleBuilder(args, overrides);
        builder.AddPeterRecServiceDefaults("peterrec-serving");
        builder.Services.AddServing();
        var app = builder.Build();
        app.MapPeterRecDefaultEndpoints();
        return app;
    }

    public static IServiceCollection AddServing(this IServiceCollection services)
    {
        services.AddOptions<ServingOptions>().BindConfiguration(ServingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddPeterRecKafka();
        services.AddPeterRecRedis();
        services.AddSingleton<ServingMetrics>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<ServingOptions>>().Value;
            return new ServingBackbone(o.BackboneDir, o.PatchHidden, o.Device);
        });
        services.AddSingleton(sp =>
        {
            var registry = ActivatorUtilities.CreateInstance<VersionRegistry>(sp);
            var metrics = sp.GetRequiredService<ServingMetrics>();
            registry.Installed += metrics.Swapped;
            registry.Refused += (_, _, _) => metrics.Shared.RecordError("serving", "patch_rejected");
            return registry;
        });
        services.AddSingleton<DeadLetterSink>();
        services.AddSingleton<UserBacklog>();
        services.AddSingleton<RecsWriter>();
        services.AddSingleton<ChangedUserHandler>();
        services.AddSingleton<BackgroundScorer>();
        services.AddSingleton<ServingWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<ServingWorker>());
        services.AddHealthChecks().AddCheck<ServingModelHealthCheck>("model", tags: [HealthTags.Ready]);
        return services;
    }
}
