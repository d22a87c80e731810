using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PeterRec.Hosting;
using PeterRec.Kafka;
using PeterRec.Redis;
using PeterRec.Trainer.Leasing;
using PeterRec.Trainer.Publishing;

namespace PeterRec.Trainer.Hosting;

/// <summary>Builds the Trainer role: service defaults, Kafka, Redis, the learner, /healthz, /readyz, /metrics.</summary>
public static class TrainerHost
{
    /// <param name="overrides">Configuration keys set last (command-line options): <c>Trainer:Task</c>, ...</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = ServiceDefaults.CreateRoleBuilder(args, overrides);
        builder.AddPeterRecServiceDefaults("peterrec-trainer");
        builder.Services.AddTrainer();
        var app = builder.Build();
        app.MapPeterRecDefaultEndpoints();
        return app;
    }

    public static IServiceCollection AddTrainer(this IServiceCollection services)
    {
        services.AddOptions<TrainerOptions>().BindConfiguration(TrainerOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddPeterRecKafka();
        services.AddPeterRecRedis();
        services.AddSingleton<TrainerMetrics>();
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TrainerOptions>>().Value;
            return ActivatorUtilities.CreateInstance<VersionPublisher>(sp, new VersionRetention(o.KeepVersions, o.PatchTtlSeconds), $"peterrec-trainer-{o.Task}");
        });
        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<TrainerOptions>>().Value;
            return ActivatorUtilities.CreateInstance<TaskLease>(sp, o.Task,
                new LeaseTiming(TimeSpan.FromMilliseconds(o.LeaseMs), TimeSpan.FromMilliseconds(o.LeaseRenewMs)));
        });
        services.AddSingleton<DeadLetterSink>();
        services.AddSingleton<TaskEventHandler>();
        services.AddSingleton<TrainerWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<TrainerWorker>());
        services.AddHealthChecks().AddCheck<TrainerModelHealthCheck>("model", tags: [HealthTags.Ready])
            .AddCheck<TrainerLeaseHealthCheck>("lease", tags: [HealthTags.Ready]);
        return services;
    }
}
