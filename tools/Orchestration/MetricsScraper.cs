using System.Net;

namespace PeterRec.Orchestration;

/// <summary>Reads a role's /metrics, /readyz and /healthz over HTTP. A role that cannot be reached yields an empty snapshot.</summary>
public sealed class MetricsScraper(int port) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };

    public int Port => port;

    public async Task<MetricsSnapshot> ScrapeAsync(CancellationToken ct)
    {
        try
        {
            var text = await _http.GetStringAsync("metrics", ct);
            return new MetricsSnapshot(PrometheusText.Parse(text));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return MetricsSnapshot.Empty;
        }
    }

    /// <summary>True when <paramref name="path"/> (readyz or healthz) answers 200.</summary>
    public async Task<bool> IsOkAsync(string path, CancellationToken ct)
    {
        try
        {
            using var response = await _http.GetAsync(path, ct);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}
