using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PeterRec.Streaming.Tests.Observability;

/// <summary>Reading Prometheus text exposition (series names, histogram boundaries) and running the real promtool on it.</summary>
internal static partial class Scrapes
{
    /// <summary>Every sample's series name (the part before <c>{</c> or the value).</summary>
    public static HashSet<string> SeriesNames(string exposition) =>
        exposition.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => SampleName().Match(l).Value).Where(n => n.Length > 0)
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The <c>le</c> boundaries (finite ones) of every <c>*_bucket</c> family.</summary>
    public static Dictionary<string, SortedSet<double>> BucketBoundaries(string exposition)
    {
        var result = new Dictionary<string, SortedSet<double>>(StringComparer.Ordinal);
        foreach (Match m in BucketLine().Matches(exposition))
        {
            if (m.Groups[2].Value == "+Inf") continue;
            var family = m.Groups[1].Value;
            if (!result.TryGetValue(family, out var set)) result[family] = set = [];
            set.Add(double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
        }
        return result;
    }

    /// <summary>Series names a PromQL-bearing text mentions (our own and the runtime's).</summary>
    public static IEnumerable<string> Mentioned(string text) => MentionedName().Matches(text).Select(m => m.Value);

    /// <summary><c>promtool check metrics</c> with the exposition on stdin: (exit code, everything it printed).</summary>
    public static (int ExitCode, string Output) PromtoolCheck(string exposition)
    {
        var psi = new ProcessStartInfo("promtool") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("promtool did not start (Debian package prometheus; .ci/run installs it)");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(exposition);
        p.StandardInput.Close();
        p.WaitForExit();
        return (p.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

    /// <summary>The repository root (the directory holding PeterRec.sln), found upward from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PeterRec.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("PeterRec.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{(?:[^}]*,)?le=""([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex BucketLine();

    [GeneratedRegex(@"\b(?:peterrec|dotnet|process)_[a-z0-9_]+")]
    private static partial Regex MentionedName();
}
