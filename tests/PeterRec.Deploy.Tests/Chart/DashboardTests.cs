using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PeterRec.Deploy.Tests.Infrastructure;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>The Grafana dashboard queries only series the code exports, and covers what operators watch.</summary>
public sealed partial class DashboardTests
{
    private static readonly Lazy<JsonNode> Dashboard = new(() => JsonNode.Parse(File.ReadAllText(Repo.ChartFile("dashboards", "peterrec.json")))!);

    private static IEnumerable<string> Queries() =>
        Dashboard.Value["panels"]!.AsArray().SelectMany(p => p!["targets"]?.AsArray() ?? []).Select(t => t!["expr"]!.GetValue<string>());

    [Fact]
    public void Every_queried_series_is_exported_by_the_code()
    {
        var exported = ExportedSeries();
        var unknown = Queries().SelectMany(q => SeriesName().Matches(q).Select(m => m.Value)).Distinct()
            .Where(s => !exported.Contains(s)).ToList();
        Assert.True(unknown.Count == 0, $"dashboard queries series the code does not export: {string.Join(", ", unknown)}");
    }

    [Theory]
    [InlineData("throughput", "peterrec_ingest_events_total")]
    [InlineData("lag", "peterrec_kafka_consumer_lag")]
    [InlineData("loss", "peterrec_trainer_loss_sum")]
    [InlineData("prequential metric", "peterrec_trainer_prequential")]
    [InlineData("patch version", "peterrec_trainer_patch_version")]
    [InlineData("patch version in service", "peterrec_serving_patch_version")]
    [InlineData("freshness", "peterrec_serving_freshness_seconds_bucket")]
    [InlineData("freshness by stage: ingest", "peterrec_ingest_click_to_window_duration_seconds_bucket")]
    [InlineData("freshness by stage: serving queue", "peterrec_serving_announce_to_batch_duration_seconds_bucket")]
    [InlineData("errors", "peterrec_errors_total")]
    public void Dashboard_shows(string what, string series) =>
        Assert.True(Queries().Any(q => Regex.IsMatch(q, $@"\b{series}\b")), $"no panel queries {series} ({what})");

    [Fact]
    public void Chart_ships_the_dashboard_as_a_config_map()
    {
        var template = File.ReadAllText(Repo.ChartFile("templates", "common", "dashboard.yaml"));
        Assert.Contains("kind: ConfigMap", template, StringComparison.Ordinal);
        Assert.Contains(".Files.Get \"dashboards/peterrec.json\"", template, StringComparison.Ordinal);
        Assert.Equal("${datasource}", Dashboard.Value["panels"]!.AsArray().First(p => p!["targets"] is not null)!["datasource"]!["uid"]!.GetValue<string>());
    }

    /// <summary>
    /// Prometheus series of every instrument created in src/ on the PeterRec meter, named as the OpenTelemetry
    /// Prometheus exporter names them: dots to underscores, unit suffix ({annotations} and "1" dropped, s ->
    /// seconds), counters _total, histograms _bucket/_sum/_count.
    /// </summary>
    internal static HashSet<string> ExportedSeries()
    {
        var series = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in Repo.SourceFiles())
        foreach (var call in CSharpSyntaxTree.ParseText(File.ReadAllText(file)).GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            var method = call.Expression switch
            {
                MemberAccessExpressionSyntax m => m.Name.Identifier.Text,
                _ => "",
            };
            if (!method.StartsWith("Create", StringComparison.Ordinal)) continue;
            var args = call.ArgumentList.Arguments;
            if (args.Count == 0 || args[0].Expression is not LiteralExpressionSyntax { Token.ValueText: var name } || !name.StartsWith("peterrec.", StringComparison.Ordinal)) continue;
            var unitIndex = method.StartsWith("CreateObservable", StringComparison.Ordinal) ? 2 : 1;
            var unitArg = args.FirstOrDefault(a => a.NameColon?.Name.Identifier.Text == "unit") ?? (args.Count > unitIndex ? args[unitIndex] : null);
            var unit = unitArg?.Expression is LiteralExpressionSyntax { Token.ValueText: var u } ? u : "";
            var suffix = Regex.Replace(unit, @"\{[^}]*\}", "") switch { "" or "1" => "", "s" => "seconds", "ms" => "milliseconds", "By" => "bytes", var other => other };
            var baseName = name.Replace('.', '_') + (suffix.Length > 0 ? "_" + suffix : "");
            if (method.Contains("Counter", StringComparison.Ordinal) && !method.Contains("UpDown", StringComparison.Ordinal)) series.Add(baseName + "_total");
            else if (method.Contains("Histogram", StringComparison.Ordinal)) { series.Add(baseName + "_bucket"); series.Add(baseName + "_sum"); series.Add(baseName + "_count"); }
            else series.Add(baseName);
        }
        return series;
    }

    [GeneratedRegex(@"\bpeterrec_[a-z0-9_]+")]
    private static partial Regex SeriesName();
}
