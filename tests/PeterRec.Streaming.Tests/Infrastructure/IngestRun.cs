using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PeterRec.Kafka;
using PeterRec.Ingest.Hosting;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>An in-process Ingest role over real TCP to the mock cluster and Redis.</summary>
public sealed class IngestRun : IAsyncDisposable
{
    private IngestRun(WebApplication app) => App = app;

    public WebApplication App { get; }

    public IKafkaConsumerStatus Consumer => App.Services.GetRequiredService<IngestWorker>().Consumer!;

    public static async Task<IngestRun> StartAsync(string bootstrap, string redis, string prefix, int windowSize = 50,
        string group = "peterrec-ingest", IDictionary<string, string?>? extra = null, string protocol = "classic")
    {
        var config = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = bootstrap,
            ["Redis:Configuration"] = redis,
            ["Redis:KeyPrefix"] = prefix,
            ["Redis:WindowTtlSeconds"] = "600",
            ["Http:Port"] = "0",
            ["Ingest:WindowSize"] = windowSize.ToString(),
            ["Ingest:GroupId"] = group,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (k, v) in GroupProtocols.Settings(protocol)) config[k] = v;
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) config[k] = v;
        var app = IngestHost.Build([], config);
        await app.StartAsync();
        return new IngestRun(app);
    }

    /// <summary>Waits until the role has handled (and stored offsets for) at least <paramref name="records"/> records.</summary>
    public Task WaitForProcessedAsync(long records, TimeSpan? timeout = null) =>
        Eventually.Async(() => Task.FromResult(Consumer.ProcessedRecords >= records), timeout,
            () => $"processed {Consumer.ProcessedRecords} of {records} records; last error: {Consumer.LastError}");

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

public static class Eventually
{
    public static async Task Async(Func<Task<bool>> condition, TimeSpan? timeout = null, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met in time: {describe?.Invoke()}");
            await Task.Delay(20);
        }
    }
}
