using PeterRec.Model.Training;
using Spectre.Console;

namespace PeterRec.Cli.Rendering;

/// <summary>
/// Shows a long job's progress: a live bar (epoch, step, loss, ETA) on an interactive terminal, and
/// plain lines (a few per epoch) when output goes to a file or a CI log.
/// </summary>
public static class TrainingProgressView
{
    public static T Run<T>(string title, Func<IProgress<TrainProgress>, T> work)
    {
        if (!Console.IsOutputRedirected && !Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            return AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(title), maxValue: 1.0);
                    var result = work(new Sink(p =>
                    {
                        task.Value = Fraction(p);
                        task.Description = Markup.Escape(Describe(p));
                    }));
                    task.Value = 1.0;
                    return result;
                });
        }
        int lastQuarter = -1;
        return work(new Sink(p =>
        {
            int quarter = p.Step * 4 / Math.Max(1, p.Steps);
            bool epochEnd = p.Metric.HasValue;
            if (!epochEnd && quarter == lastQuarter) return;
            lastQuarter = quarter;
            Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {Describe(p)} ({Fraction(p):P0})");
        }));
    }

    private static double Fraction(TrainProgress p) =>
        Math.Clamp(((p.Epoch - 1) + (double)p.Step / Math.Max(1, p.Steps)) / Math.Max(1, p.Epochs), 0, 1);

    private static string Describe(TrainProgress p) =>
        $"{p.Phase} epoch {p.Epoch}/{p.Epochs} step {p.Step}/{p.Steps} loss {p.Loss:F4}"
        + (p.Metric is { } m ? $" valid {p.MetricName} {m:F4}" : "");

    /// <summary>Synchronous sink: System.Progress posts to the thread pool and would reorder ticks.</summary>
    private sealed class Sink(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
