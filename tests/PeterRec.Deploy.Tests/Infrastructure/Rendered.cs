using System.Text.Json.Nodes;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>The chart rendered by the real <c>helm template</c>, as objects.</summary>
internal static class Rendered
{
    public const string Namespace = "recs";

    /// <summary>The chart's ci/ values files (chart-testing's convention), by file name.</summary>
    public static IEnumerable<string> CiValuesFiles() =>
        Directory.EnumerateFiles(Repo.ChartFile("ci"), "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

    /// <summary><c>helm template rel CHART -n recs ARGS</c>; fails with helm's message when it does not render.</summary>
    public static (string Yaml, List<JsonObject> Objects) Template(params string[] args)
    {
        var yaml = Tools.HelmRun(["template", ChartEnv.Release, Repo.Chart, "-n", Namespace, .. args]).EnsureSuccess().Stdout;
        return (yaml, Yaml.Documents(yaml).OfType<JsonObject>().ToList());
    }

    public static string Kind(JsonObject o) => o["kind"]?.GetValue<string>() ?? "";

    public static string Name(JsonObject o) => o["metadata"]?["name"]?.GetValue<string>() ?? "";

    public static JsonObject Single(List<JsonObject> objects, string kind, string name) =>
        objects.SingleOrDefault(o => Kind(o) == kind && Name(o) == name) ?? throw new InvalidOperationException($"no {kind} {name} rendered");

    public static JsonNode PodSpec(JsonObject deployment) => deployment["spec"]!["template"]!["spec"]!;

    public static JsonObject PodLabels(JsonObject deployment) => deployment["spec"]!["template"]!["metadata"]!["labels"]!.AsObject();

    /// <summary>"Deployment 4, ConfigMap 5, ..." (most first).</summary>
    public static string KindCounts(IEnumerable<JsonObject> objects) =>
        string.Join(", ", objects.GroupBy(Kind).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"));
}
