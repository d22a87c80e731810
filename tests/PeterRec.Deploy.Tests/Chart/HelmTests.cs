using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PeterRec.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>
/// <c>helm lint</c> and <c>helm template</c> over ci/test-values.yaml, and the rendered pods' PETERREC_ variables
/// against <see cref="ChartEnv"/>. Runs only where <c>helm</c> is on PATH (Debian has no helm package, so not on
/// this project's machines): otherwise it passes and says so in the test output. xunit 2.9 has no dynamic skip.
/// </summary>
public sealed partial class HelmTests(ITestOutputHelper output)
{
    private static readonly string? Helm = FindOnPath("helm");

    [Fact]
    public void Chart_lints_and_renders_with_the_environment_the_mirror_predicts()
    {
        if (Helm is null)
        {
            output.WriteLine("SKIPPED: helm is not on PATH; helm lint / helm template did not run. The chart's values-to-environment " +
                             "mapping was checked only through the C# model (ChartEnv) and the template text.");
            return;
        }
        output.WriteLine($"helm: {Run("version", "--short").Trim()}");
        var chart = ChartWithoutMissingDependencies();
        var ciValues = Repo.ChartFile("ci", "test-values.yaml");

        var lint = Run("lint", chart, "-f", ciValues);
        output.WriteLine(lint);

        var rendered = Yaml.Documents(Run("template", ChartEnv.Release, chart, "-f", ciValues)).OfType<JsonObject>().ToList();
        var values = (JsonObject)ValuesSchemaTests.Merge(ChartEnv.Values(), Yaml.LoadFile(ciValues)!);
        var deployments = rendered.Where(d => Kind(d) == "Deployment").ToList();
        Assert.Equal(2 + ((JsonArray)values["trainer"]!["tasks"]!).Count, deployments.Count);

        foreach (var deployment in deployments)
        {
            var labels = deployment["spec"]!["template"]!["metadata"]!["labels"]!;
            var role = labels["app.kubernetes.io/component"]!.GetValue<string>();
            var task = labels["peterrec.io/task"]?.GetValue<string>();
            var actual = PodEnvironment(deployment, rendered);
            var expected = ChartEnv.Render(values, role, task).ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, value) in expected)
            {
                if (name.EndsWith("Password", StringComparison.Ordinal)) continue; // secret, checked by name only
                var p = OptionsSource.Property(new EnvVar(name, value).OptionKey);
                Assert.True(OptionTypes.Parses(p, actual[name]), $"{role}/{task}: {name}='{actual[name]}' does not parse as {p.Type}");
                Assert.Equal(value, actual[name]);
            }
            var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
            Assert.Equal("/healthz", container["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
            Assert.Equal("/readyz", container["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
            Assert.True(container["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
        }
        Assert.Contains(rendered, d => Kind(d) == "ServiceMonitor");
        Assert.Contains(rendered, d => Kind(d) == "ConfigMap" && d["data"]?["peterrec.json"] is not null);
        output.WriteLine($"helm template: {rendered.Count} objects, {deployments.Count} Deployments checked against ChartEnv");
    }

    /// <summary>Every PETERREC_ variable a Deployment's container gets: envFrom ConfigMaps and Secret, then env.</summary>
    private static Dictionary<string, string> PodEnvironment(JsonObject deployment, List<JsonObject> rendered)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        foreach (var source in container["envFrom"]?.AsArray() ?? [])
        {
            var (kind, reference) = source!["configMapRef"] is { } cm ? ("ConfigMap", cm) : ("Secret", source["secretRef"]!);
            var name = reference["name"]!.GetValue<string>();
            var obj = rendered.SingleOrDefault(d => Kind(d) == kind && d["metadata"]!["name"]!.GetValue<string>() == name);
            Assert.True(obj is not null || reference["optional"]?.GetValue<bool>() == true, $"{kind} {name} is not rendered");
            foreach (var (key, value) in (obj?["data"] ?? obj?["stringData"])?.AsObject() ?? [])
                env[key] = value?.GetValue<string>() ?? "";
        }
        foreach (var e in container["env"]?.AsArray() ?? [])
            env[e!["name"]!.GetValue<string>()] = e["value"]?.GetValue<string>() ?? "";
        return env.Where(kv => kv.Key.StartsWith("PETERREC_", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);
    }

    /// <summary>
    /// The optional Kafka/Redis dependencies are fetched by <c>helm dependency build</c> (network); without charts/ a
    /// render fails even with both disabled, so render a copy whose Chart.yaml lists no dependencies.
    /// </summary>
    private string ChartWithoutMissingDependencies()
    {
        if (Directory.Exists(Repo.ChartFile("charts")) && Directory.EnumerateFiles(Repo.ChartFile("charts"), "*.tgz").Any()) return Repo.Chart;
        var copy = Path.Combine(Path.GetTempPath(), $"peterrec-chart-{Guid.NewGuid():N}", "peterrec");
        foreach (var file in Directory.EnumerateFiles(Repo.Chart, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(Repo.Chart, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var chartYaml = Path.Combine(copy, "Chart.yaml");
        File.WriteAllText(chartYaml, DependenciesBlock().Replace(File.ReadAllText(chartYaml), ""));
        output.WriteLine($"dependencies not built (no charts/*.tgz): rendering a copy without them at {copy}");
        return copy;
    }

    private static string Kind(JsonObject doc) => doc["kind"]?.GetValue<string>() ?? "";

    private static string Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Helm!) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"helm {string.Join(' ', args)} exited {p.ExitCode}:\n{stderr}\n{stdout.Result}");
        return stdout.Result;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    [GeneratedRegex(@"(?ms)^dependencies:\n(?:[ #].*?\n|\n)*")]
    private static partial Regex DependenciesBlock();
}
