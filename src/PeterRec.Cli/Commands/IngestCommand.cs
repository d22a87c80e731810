using System.CommandLine;
using System.Globalization;
using PeterRec.Ingest.Hosting;

namespace PeterRec.Cli.Commands;

/// <summary><c>peterrec ingest</c>: the Ingest role (clicks -> per-user windows in Redis -> changed users).</summary>
/// <remarks>Options override appsettings.json and <c>PETERREC_*</c> environment variables.</remarks>
public static class IngestCommand
{
    public static Command Create()
    {
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers (Kafka:BootstrapServers)" };
        var bootstrapFile = new Option<string?>("--bootstrap-file") { Description = "File with the bootstrap servers, as written by dev-broker (Kafka:BootstrapFile)" }.NotADirectory();
        var redis = new Option<string?>("--redis") { Description = "Redis HOST:PORT (Redis:Configuration)" };
        var httpPort = new Option<int?>("--http-port") { Description = "Port for /healthz, /readyz, /metrics; 0 = any free port (Http:Port)" }.Between(0, 65535);
        var windowSize = new Option<int?>("--window-size") { Description = "Clicks kept per user (Ingest:WindowSize)" }.AtLeast(1);
        var keyPrefix = new Option<string?>("--key-prefix") { Description = "Redis key prefix (Redis:KeyPrefix)" };
        var cmd = new Command("ingest", "Run the Ingest role: consume clicks, keep per-user windows in Redis, announce changed users")
        {
            kafka, bootstrapFile, redis, httpPort, windowSize, keyPrefix,
        };
        cmd.SetAction(async (parseResult, ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, string? value)
            {
                if (value is not null) overrides[key] = value;
            }
            Set("Kafka:BootstrapServers", parseResult.GetValue(kafka));
            Set("Kafka:BootstrapFile", parseResult.GetValue(bootstrapFile));
            Set("Redis:Configuration", parseResult.GetValue(redis));
            Set("Http:Port", parseResult.GetValue(httpPort)?.ToString(CultureInfo.InvariantCulture));
            Set("Ingest:WindowSize", parseResult.GetValue(windowSize)?.ToString(CultureInfo.InvariantCulture));
            Set("Redis:KeyPrefix", parseResult.GetValue(keyPrefix));
            return await RoleRunner.RunAsync(IngestHost.Build([], overrides), ct);
        });
        return cmd;
    }
}
