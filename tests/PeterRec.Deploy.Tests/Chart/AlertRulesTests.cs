using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PeterRec.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>
/// alerts/peterrec.rules.yaml: valid for the real <c>promtool</c>, unit-tested with <c>promtool test rules</c>, built
/// on series the code exports, and shipped unchanged (bar the overrides) in the chart's PrometheusRule.
/// </summary>
public sealed partial class AlertRulesTests(ITestOutputHelper output)
{
    private static string RulesFile => Repo.ChartFile("alerts", "peterrec.rules.yaml");

    private static string RulesTestFile => Repo.ChartFile("alerts", "peterrec.rules.test.yaml");

    private static IEnumerable<JsonObject> Rules(JsonNode rulesFile) =>
        rulesFile["groups"]!.AsArray().SelectMany(g => g!["rules"]!.AsArray()).OfType<JsonObject>();

    private static List<string> AlertNames() => Rules(Yaml.LoadFile(RulesFile)!).Select(r => r["alert"]!.GetValue<string>()).ToList();

    [Fact]
    public void Promtool_accepts_the_rules_file()
    {
        var result = Cli.Run(Tools.Promtool, ["check", "rules", RulesFile]).EnsureSuccess();
        output.WriteLine(result.Stdout + result.Stderr);
        Assert.Contains($"SUCCESS: {AlertNames().Count} rules found", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Promtool_unit_tests_of_the_alerts_pass()
    {
        var result = Cli.Run(Tools.Promtool, ["test", "rules", RulesTestFile]);
        output.WriteLine(result.Stdout + result.Stderr);
        Assert.True(result.ExitCode == 0, $"promtool test rules failed:\n{result.Stdout}\n{result.Stderr}");
    }

    [Fact]
    public void Every_alert_has_a_unit_test_where_it_fires()
    {
        var tests = Yaml.LoadFile(RulesTestFile)!["tests"]!.AsArray();
        var firing = tests.SelectMany(t => t!["alert_rule_test"]!.AsArray())
            .Where(a => a!["exp_alerts"] is JsonArray { Count: > 0 }).Select(a => a!["alertname"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var silent = tests.SelectMany(t => t!["alert_rule_test"]!.AsArray())
            .Where(a => a!["exp_alerts"] is null).Select(a => a!["alertname"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(AlertNames().Except(firing));
        Assert.Empty(AlertNames().Except(silent));
    }

    [Theory]
    [InlineData("consumer lag", "PeterRecConsumerLagHigh", "peterrec_kafka_consumer_lag")]
    [InlineData("freshness p99", "PeterRecFreshnessP99High", "peterrec_serving_freshness_seconds_bucket")]
    [InlineData("error rate", "PeterRecErrorRateHigh", "peterrec_errors_total")]
    [InlineData("trainer not publishing", "PeterRecTrainerNotPublishing", "peterrec_trainer_publishes_total")]
    [InlineData("serving patch version behind the trainer", "PeterRecServingPatchBehind", "peterrec_serving_patch_version")]
    public void Alert_covers(string what, string alert, string series)
    {
        var rule = Rules(Yaml.LoadFile(RulesFile)!).SingleOrDefault(r => r["alert"]!.GetValue<string>() == alert);
        Assert.True(rule is not null, $"no alert {alert} ({what})");
        Assert.Matches($@"\b{series}\b", rule["expr"]!.GetValue<string>());
    }

    /// <summary>Series named in the rules (expressions and annotations) and fed to their unit tests are all exported.</summary>
    [Fact]
    public void Every_series_the_alerts_and_their_tests_use_is_exported_by_the_code()
    {
        var exported = DashboardTests.ExportedSeries();
        var inRules = Rules(Yaml.LoadFile(RulesFile)!).SelectMany(r => SeriesName().Matches(r.ToJsonString()).Select(m => m.Value));
        var inputs = Yaml.LoadFile(RulesTestFile)!["tests"]!.AsArray()
            .SelectMany(t => t!["input_series"]!.AsArray()).Select(s => SeriesSelector().Match(s!["series"]!.GetValue<string>()).Groups[1].Value).ToList();
        Assert.All(inputs, name => Assert.StartsWith("peterrec_", name, StringComparison.Ordinal));
        var unknown = inRules.Concat(inputs).Distinct().Where(s => !exported.Contains(s)).Order(StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, $"alerts or their tests use series the code does not export: {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Schema_lists_exactly_the_alerts_of_the_rules_file()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Repo.ChartFile("values.schema.json")))!;
        var listed = schema["properties"]!["prometheusRule"]!["properties"]!["alerts"]!["properties"]!.AsObject().Select(kv => kv.Key);
        Assert.Equal(AlertNames().Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Chart_ships_the_rules_file_as_a_prometheus_rule()
    {
        var (_, rendered) = Rendered.Template("-f", Repo.ChartFile("ci", "minimal-values.yaml"), "--set", "prometheusRule.enabled=true");
        var rule = rendered.Single(o => Rendered.Kind(o) == "PrometheusRule");
        Assert.Equal(Canonical(Yaml.LoadFile(RulesFile)!["groups"]!), Canonical(rule["spec"]!["groups"]!));
        PromtoolChecks(rule);
    }

    [Fact]
    public void Prometheus_rule_overrides_apply_per_alert()
    {
        var (_, rendered) = Rendered.Template("-f", Repo.ChartFile("ci", "full-values.yaml"));
        var rule = rendered.Single(o => Rendered.Kind(o) == "PrometheusRule");
        Assert.Equal("kube-prometheus-stack", rule["metadata"]!["labels"]!["release"]!.GetValue<string>());
        var rules = Rules(rule["spec"]!).ToDictionary(r => r["alert"]!.GetValue<string>(), StringComparer.Ordinal);
        Assert.Equal(AlertNames().Where(a => a != "PeterRecErrorRateHigh"), rules.Keys);
        Assert.EndsWith("> 50000", rules["PeterRecConsumerLagHigh"]["expr"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("30m", rules["PeterRecConsumerLagHigh"]["for"]!.GetValue<string>());
        Assert.Equal("critical", rules["PeterRecServingPatchBehind"]["labels"]!["severity"]!.GetValue<string>());
        Assert.Equal("warning", rules["PeterRecFreshnessP99High"]["labels"]!["severity"]!.GetValue<string>());
        Assert.All(rules.Values, r => Assert.Equal("recs", r["labels"]!["team"]!.GetValue<string>()));
        PromtoolChecks(rule);
    }

    /// <summary>The rendered PrometheusRule's groups, as a rules file, pass <c>promtool check rules</c>.</summary>
    private void PromtoolChecks(JsonObject prometheusRule)
    {
        var dir = Directory.CreateTempSubdirectory("peterrec-rules-").FullName;
        var file = Path.Combine(dir, "rendered.rules.json");
        File.WriteAllText(file, new JsonObject { ["groups"] = prometheusRule["spec"]!["groups"]!.DeepClone() }.ToJsonString());
        var result = Cli.Run(Tools.Promtool, ["check", "rules", file]);
        Directory.Delete(dir, recursive: true);
        Assert.True(result.ExitCode == 0, $"promtool check rules on the rendered PrometheusRule:\n{result.Stdout}\n{result.Stderr}");
        output.WriteLine(result.Stdout.Trim());
    }

    /// <summary>JSON with object keys sorted (helm's toYaml sorts them), for comparing content.</summary>
    private static string Canonical(JsonNode node) => Sorted(node)!.ToJsonString();

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Sorted(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        _ => node?.DeepClone(),
    };

    [GeneratedRegex(@"\bpeterrec_[a-z0-9_]+")]
    private static partial Regex SeriesName();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)\{")]
    private static partial Regex SeriesSelector();
}
