using System.Runtime.InteropServices;

namespace PeterRec.Orchestration;

/// <summary>
/// <c>peterrec run</c> on a console: validates the settings, runs <see cref="RunPipeline"/> with live progress until it
/// drains, prints the summary (JSON, also to <see cref="RunSettings.SummaryFile"/>) and stops everything it started,
/// also on Ctrl-C and SIGTERM. Exit codes: 0 drained, 1 not drained or failed, 2 bad settings, 130 interrupted.
/// </summary>
public static class LocalRun
{
    public static async Task<int> RunAsync(RunSettings settings, CancellationToken ct)
    {
        var problems = settings.Validate().ToList();
        if (problems.Count > 0)
        {
            foreach (var p in problems) await Console.Error.WriteLineAsync($"run: {p}");
            return 2;
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // SIGTERM must unwind like Ctrl-C so the children are stopped, not orphaned.
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        var view = new ProgressView(TimeSpan.FromSeconds(3));
        void Log(string line) => Console.Error.WriteLine($"run: {line}");
        try
        {
            var summary = await RunPipeline.RunAsync(settings, view, Log, stop.Token);
            var json = summary.ToJson();
            if (settings.SummaryFile is { } file)
            {
                var dir = Path.GetDirectoryName(Path.GetFullPath(file));
                if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
                await File.WriteAllTextAsync(file, json + "\n", CancellationToken.None);
            }
            Console.WriteLine(json);
            return summary.Drained ? 0 : 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Log("interrupted; everything started was stopped");
            return 130;
        }
        catch (Exception e) when (e is PeterRec.Model.Data.CsvFormatException or InvalidDataException)
        {
            Log($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or Microsoft.Extensions.Options.OptionsValidationException or StackExchange.Redis.RedisConnectionException)
        {
            Log($"error: {e.Message}");
            return 1;
        }
    }
}
