using Microsoft.AspNetCore.Builder;
using PeterRec.Hosting;

namespace PeterRec.Ingest.Hosting;

/// <summary>Builds the Ingest role: service defaults, the pipeline, /healthz, /readyz, /metrics.</summary>
public static class IngestHost
{
    /// <param name="overrides">Configuration keys set last (e.g. from command-line options): <c>Kafka:BootstrapServers</c>, ...</param>
    public static WebApplication Build(string[] args, IDictionary<string, string?>? overrides = null)
    {
        var builder = ServiceDefaults.CreateRoleBuilder(args, overrides);
        builder.AddPeterRecServiceDefaults("peterrec-ingest");
        builder.Services.AddIngest();
        var app = builder.Build();
        app.MapPeterRecDefaultEndpoints();
        return app;
    }
}
