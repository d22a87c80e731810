using System.Globalization;
using Spectre.Console;

namespace PeterRec.Orchestration;

/// <summary>
/// Live progress of a run: a Spectre.Console table redrawn in place on a terminal, one plain line every few seconds
/// otherwise (logs, CI). Rates are computed between consecutive updates.
/// </summary>
public sealed class ProgressView
{
    private readonly bool _live;
    private readonly TimeSpan _plainEvery;
    private readonly TextWriter _out;
    private RunProgress? _previous;
    private TimeSpan? _lastPlain;
    private double _produceRate, _ingestRate;

    /// <param name="quiet">Plain lines on stderr, never a live table: stdout is kept for machine-readable output.</param>
    public ProgressView(TimeSpan plainEvery, bool quiet = false)
    {
        _plainEvery = plainEvery;
        _live = !quiet && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        _out = quiet ? Console.Error : Console.Out;
    }

    public bool IsLive => _live;

    /// <summary>Runs <paramref name="body"/> with an update callback; on a terminal inside a live display.</summary>
    public async Task RunAsync(Func<Action<RunProgress>, Task> body)
    {
        if (!_live)
        {
            await body(Update);
            return;
        }
        var table = Render(null);
        await AnsiConsole.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            await body(p =>
            {
                Rates(p);
                ctx.UpdateTarget(Render(p));
            });
        });
    }

    private void Update(RunProgress p)
    {
        Rates(p);
        if (_lastPlain is { } shown && p.Elapsed - shown < _plainEvery && !p.Drained) return;
        _lastPlain = p.Elapsed;
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{p.Elapsed.TotalSeconds,5:F0}s] produced {p.Clicks + p.TaskEvents} ({_produceRate:F0}/s) | ingested {p.Ingested:F0} ({_ingestRate:F0}/s) " +
            $"lag {p.IngestLag + p.TrainerLag + p.ServingLag:F0} | train steps {p.TrainSteps:F0} labels {p.LabelsTrained:F0} " +
            $"preq {Fmt(p.PrequentialWindow, "F3")} pop {Fmt(p.BaselineWindow, "F3")} lift {Fmt(p.Lift, "F2")} | patch v{Fmt(p.TrainerPatchVersion, "F0")} served v{Fmt(p.ServingPatchVersion, "F0")} " +
            $"| users {p.UsersWritten:F0} | freshness p99 {Fmt(p.FreshnessP99Ms, "F0")} ms"));
    }

    private void Rates(RunProgress p)
    {
        if (_previous is { } q && p.Elapsed > q.Elapsed)
        {
            var dt = (p.Elapsed - q.Elapsed).TotalSeconds;
            _produceRate = (p.Clicks + p.TaskEvents - q.Clicks - q.TaskEvents) / dt;
            _ingestRate = Math.Max(0, p.Ingested - q.Ingested) / dt;
        }
        _previous = p;
    }

    private Table Render(RunProgress? p)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("peterrec run").AddColumn("stage").AddColumn("progress");
        if (p is null)
        {
            table.AddRow("starting", "...");
            return table;
        }
        table.AddRow("elapsed", $"{p.Elapsed.TotalSeconds:F0} s{(p.ReplayDone ? " (replay done, draining)" : "")}");
        table.AddRow("produce", $"{p.Clicks} clicks, {p.TaskEvents} labels  [bold]{_produceRate:F0}[/] events/s");
        table.AddRow("ingest", $"{p.Ingested:F0} clicks  [bold]{_ingestRate:F0}[/] events/s  lag {p.IngestLag:F0}");
        table.AddRow("train", $"{p.TrainSteps:F0} steps, {p.LabelsTrained:F0} labels  lag {p.TrainerLag:F0}  prequential hr@5 " +
                              $"{Fmt(p.PrequentialWindow, "F3")} (window) {Fmt(p.PrequentialTotal, "F3")} (total)  popularity " +
                              $"{Fmt(p.BaselineWindow, "F3")}  lift {Fmt(p.Lift, "F2")}x");
        table.AddRow("patch", $"published v{Fmt(p.TrainerPatchVersion, "F0")}  served v{Fmt(p.ServingPatchVersion, "F0")}");
        table.AddRow("serve", $"{p.UsersWritten:F0} user writes  lag {p.ServingLag:F0}  freshness p99 (last 10 s) {Fmt(p.FreshnessP99Ms, "F0")} ms");
        return table;
    }

    private static string Fmt(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
}
