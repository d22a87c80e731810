using System.Diagnostics.Metrics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace PeterRec.Hosting;

/// <summary>What every role shares (after eShop's ServiceDefaults): metrics, health checks, the HTTP endpoint.</summary>
public static class ServiceDefaults
{
    /// <summary>Configuration precedence, lowest first: appsettings.json, environment <c>PETERREC_*</c>
    /// (<c>PETERREC_Kafka__BootstrapServers</c>), then <paramref name="overrides"/> (command-line options).</summary>
    public static WebApplicationBuilder CreateRoleBuilder(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddEnvironmentVariables("PETERREC_");
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);
        return builder;
    }

    /// <param name="serviceName">The role, e.g. "peterrec-ingest" (OpenTelemetry <c>service.name</c>).</param>
    public static WebApplicationBuilder AddPeterRecServiceDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddOptions<HttpOptions>().BindConfiguration(HttpOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var http = builder.Configuration.GetSection(HttpOptions.Section).Get<HttpOptions>() ?? new HttpOptions();
        builder.WebHost.UseUrls($"http://{http.BindAddress}:{http.Port}");

        builder.Services.AddOptions<LoggingOptions>().BindConfiguration(LoggingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var logging = builder.Configuration.GetSection(LoggingOptions.Section).Get<LoggingOptions>() ?? new LoggingOptions();
        if (logging.IsJson)
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        else builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        // Per-request logs would drown the role's own; configuration can still lower these.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        builder.Services.TryAddSingleton<PeterRecMetrics>();
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithMetrics(m => m.AddMeter(PeterRecMetrics.MeterName)
                // .NET's built-in runtime and process meter (GC, heap, thread pool, JIT, CPU time, working set).
                .AddMeter(RuntimeMeterName)
                .AddView(Views)
                .AddPrometheusExporter());
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), tags: [HealthTags.Live]);
        return builder;
    }

    /// <summary>The meter .NET 9+ publishes runtime and process metrics on (<c>dotnet.gc.*</c>, <c>dotnet.process.*</c>, ...).</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>
    /// Runtime gauges whose names end in <c>.count</c>: Prometheus reserves <c>_count</c> for histograms and summaries
    /// (<c>promtool check metrics</c> rejects them), so they are exported under these names.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> RuntimeRenames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["dotnet.assembly.count"] = "dotnet.assembly.loaded",
        ["dotnet.process.cpu.count"] = "dotnet.process.cpu.available",
        ["dotnet.timer.count"] = "dotnet.timer.active",
    };

    /// <summary>Every histogram in seconds that names no boundaries of its own gets <see cref="MetricBuckets.Seconds"/>;
    /// the runtime's <c>*.count</c> gauges are renamed (<see cref="RuntimeRenames"/>).</summary>
    private static MetricStreamConfiguration? Views(Instrument instrument)
    {
        if (instrument is Histogram<double> { Unit: "s" } h && h.Advice?.HistogramBucketBoundaries is null)
            return new ExplicitBucketHistogramConfiguration { Boundaries = MetricBuckets.Seconds };
        if (instrument.Meter.Name == RuntimeMeterName && RuntimeRenames.TryGetValue(instrument.Name, out var name))
            return new MetricStreamConfiguration { Name = name };
        return null;
    }

    /// <summary>Maps <c>/healthz</c> (process alive), <c>/readyz</c> (every "ready" check), <c>/metrics</c> (Prometheus).</summary>
    public static WebApplication MapPeterRecDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(HealthTags.Live), ResponseWriter = WriteJson });
        app.MapHealthChecks("/readyz", new HealthCheckOptions { Predicate = r => r.Tags.Contains(HealthTags.Ready), ResponseWriter = WriteJson });
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation("Listening on {Urls} (/healthz, /readyz, /metrics)", string.Join(", ", app.Urls)));
        return app;
    }

    /// <summary>The first bound URL, once the app has started (resolves port 0).</summary>
    public static Uri BoundUrl(this WebApplication app) =>
        new(app.Urls.FirstOrDefault() ?? throw new InvalidOperationException("the app has not started"));

    private static Task WriteJson(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
