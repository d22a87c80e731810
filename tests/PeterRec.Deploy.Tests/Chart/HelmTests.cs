using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PeterRec.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;
using static PeterRec.Deploy.Tests.Infrastructure.Rendered;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>
/// The real <c>helm lint</c> / <c>helm template</c> over every ci/ values file, <c>kubectl apply --dry-run=client</c>
/// on what it renders, and the rendered pods' PETERREC_ variables against <see cref="ChartEnv"/>.
/// </summary>
public sealed partial class HelmTests(ITestOutputHelper output)
{
    public static TheoryData<string> CiValues => new(CiValuesFiles());

    [Theory, MemberData(nameof(CiValues))]
    public void Ci_values_lint_render_and_parse_as_kubernetes_objects(string file)
    {
        var valuesFile = Repo.ChartFile("ci", file);
        output.WriteLine($"{Tools.HelmRun("version", "--short").EnsureSuccess().Stdout.Trim()} at {Tools.Helm}");
        output.WriteLine(Tools.HelmRun("lint", "--strict", Repo.Chart, "-f", valuesFile).EnsureSuccess().Stdout);

        var (yaml, rendered) = Template("-f", valuesFile);
        var values = (JsonObject)ValuesSchemaTests.Merge(ChartEnv.Values(), Yaml.LoadFile(valuesFile)!);
        var deployments = rendered.Where(d => Kind(d) == "Deployment").ToList();
        var expectedDeployments = (Enabled(values, "ingest") ? 1 : 0) + (Enabled(values, "serving") ? 1 : 0)
                                  + (Enabled(values, "trainer") ? ((JsonArray)values["trainer"]!["tasks"]!).Count : 0);
        Assert.Equal(expectedDeployments, deployments.Count);

        foreach (var deployment in deployments)
        {
            var labels = PodLabels(deployment);
            var role = labels["app.kubernetes.io/component"]!.GetValue<string>();
            var task = labels["peterrec.io/task"]?.GetValue<string>();
            foreach (var (key, value) in deployment["spec"]!["selector"]!["matchLabels"]!.AsObject())
                Assert.Equal(value!.GetValue<string>(), labels[key]?.GetValue<string>());

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
            var container = PodSpec(deployment)["containers"]![0]!;
            Assert.Equal("/healthz", container["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
            Assert.Equal("/readyz", container["readinessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
            Assert.True(container["securityContext"]!["readOnlyRootFilesystem"]!.GetValue<bool>());
        }
        Assert.Equal(values["metrics"]!["serviceMonitor"]!["enabled"]!.GetValue<bool>(), rendered.Any(d => Kind(d) == "ServiceMonitor"));
        Assert.Equal(values["prometheusRule"]!["enabled"]!.GetValue<bool>(), rendered.Any(d => Kind(d) == "PrometheusRule"));
        Assert.Equal(values["dashboard"]!["enabled"]!.GetValue<bool>(), rendered.Any(d => Kind(d) == "ConfigMap" && d["data"]?["peterrec.json"] is not null));

        // kubectl maps every object to a resource of a 1.25 cluster and would create each one.
        using var api = new KubeApiDiscovery();
        var apply = Cli.Run(Tools.Kubectl, ["apply", "--dry-run=client", "--validate=false", "--server", api.Url, "-n", Namespace, "-f", "-"], stdin: yaml)
            .EnsureSuccess();
        var created = apply.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => CreatedLine().Match(line)).ToList();
        Assert.All(created, m => Assert.True(m.Success, $"kubectl: unexpected line in\n{apply.Stdout}"));
        Assert.Equal(
            rendered.Select(o => $"{Kind(o).ToLowerInvariant()}/{Name(o)}").Order(StringComparer.Ordinal),
            created.Select(m => $"{m.Groups["kind"].Value}/{m.Groups["name"].Value}").Order(StringComparer.Ordinal));
        output.WriteLine($"ci/{file}: {rendered.Count} objects ({KindCounts(rendered)}); kubectl {Tools.Kubectl}: {created.Count} created (dry run)");
    }

    [Fact]
    public void Pod_options_reach_every_roles_pod_with_role_values_over_the_global_ones()
    {
        var (_, rendered) = Template("-f", Repo.ChartFile("ci", "full-values.yaml"));
        var ingest = Single(rendered, "Deployment", $"{ChartEnv.Release}-peterrec-ingest");
        var serving = Single(rendered, "Deployment", $"{ChartEnv.Release}-peterrec-serving");
        var rec = Single(rendered, "Deployment", $"{ChartEnv.Release}-peterrec-trainer-rec");
        var cls = Single(rendered, "Deployment", $"{ChartEnv.Release}-peterrec-trainer-cls");

        Assert.Equal("recs", PodLabels(ingest)["team"]!.GetValue<string>());
        Assert.Equal("streaming", PodLabels(ingest)["tier"]!.GetValue<string>());
        Assert.Null(PodLabels(serving)["tier"]);
        var annotations = ingest["spec"]!["template"]!["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("recs-oncall", annotations["example.com/owner"]!.GetValue<string>());
        Assert.Equal("ingest", annotations["example.com/scrape-note"]!.GetValue<string>());
        Assert.NotNull(annotations["checksum/common"]);

        // Static membership (kafkaStaticMembership, on by default) comes first: the pod name as Kafka group instance id.
        const string instance = "PETERREC_Kafka__GroupInstanceId=<fieldRef metadata.name>";
        Assert.Equal([instance, "DOTNET_gcServerMode=0", "TZ=Europe/Zurich", "NODE_NAME=<fieldRef spec.nodeName>"], Env(ingest));
        Assert.Equal([instance, "DOTNET_gcServerMode=0", "TZ=UTC"], Env(serving));
        Assert.Equal([instance, "DOTNET_gcServerMode=0", "TZ=UTC", "OMP_NUM_THREADS=1"], Env(rec));
        Assert.Equal([instance, "DOTNET_gcServerMode=0", "TZ=UTC", "OMP_NUM_THREADS=4"], Env(cls));

        Assert.Equal(["recs-default", "recs-serving", "recs-gpu", "recs-default"],
            new[] { ingest, serving, rec, cls }.Select(d => PodSpec(d)["priorityClassName"]?.GetValue<string>()));
        Assert.Equal([45L, 30L, 120L, 120L], new[] { ingest, serving, rec, cls }.Select(d => PodSpec(d)["terminationGracePeriodSeconds"]!.GetValue<long>()));

        // A constraint without labelSelector spreads the role's own pods; one with a selector keeps it.
        var spread = PodSpec(ingest)["topologySpreadConstraints"]!.AsArray();
        Assert.Equal(Pairs(ingest["spec"]!["selector"]!["matchLabels"]!), Pairs(spread[0]!["labelSelector"]!["matchLabels"]!));
        Assert.Equal(["app.kubernetes.io/part-of=peterrec"], Pairs(spread[1]!["labelSelector"]!["matchLabels"]!));
        Assert.Null(PodSpec(rec)["topologySpreadConstraints"]);
    }

    [Fact]
    public void Redis_tls_files_are_mounted_in_every_pod_and_the_redis_and_logging_options_reach_the_common_config_map()
    {
        var (_, rendered) = Template("-f", Repo.ChartFile("ci", "full-values.yaml"));
        var deployments = rendered.Where(o => Kind(o) == "Deployment").ToList();
        Assert.NotEmpty(deployments);
        foreach (var d in deployments)
        {
            var volume = PodSpec(d)["volumes"]!.AsArray().Single(v => v!["name"]!.GetValue<string>() == "redis-tls");
            Assert.Equal("redis-tls", volume!["secret"]!["secretName"]!.GetValue<string>());
            var mount = PodSpec(d)["containers"]![0]!["volumeMounts"]!.AsArray().Single(m => m!["name"]!.GetValue<string>() == "redis-tls");
            Assert.Equal("/etc/peterrec/redis-tls", mount!["mountPath"]!.GetValue<string>());
        }
        var common = Single(rendered, "ConfigMap", $"{ChartEnv.Release}-peterrec-common")["data"]!;
        Assert.Equal("json", common["PETERREC_Logging__Format"]!.GetValue<string>());
        Assert.Equal("peterrec", common["PETERREC_Redis__User"]!.GetValue<string>());
        Assert.Equal("/etc/peterrec/redis-tls/ca.crt", common["PETERREC_Redis__CaFile"]!.GetValue<string>());
        Assert.Equal("/etc/peterrec/redis-tls/tls.key", common["PETERREC_Redis__ClientKeyFile"]!.GetValue<string>());

        var (_, defaults) = Template("-f", Repo.ChartFile("ci", "minimal-values.yaml"));
        Assert.All(defaults.Where(o => Kind(o) == "Deployment"),
            d => Assert.DoesNotContain(PodSpec(d)["volumes"]!.AsArray(), v => v!["name"]!.GetValue<string>() == "redis-tls"));
        Assert.Equal("text", Single(defaults, "ConfigMap", $"{ChartEnv.Release}-peterrec-common")["data"]!["PETERREC_Logging__Format"]!.GetValue<string>());
    }

    [Fact]
    public void Defaults_render_the_charts_own_pod_settings_only()
    {
        var (_, rendered) = Template("-f", Repo.ChartFile("ci", "minimal-values.yaml"));
        foreach (var d in rendered.Where(o => Kind(o) == "Deployment"))
        {
            Assert.Equal(60L, PodSpec(d)["terminationGracePeriodSeconds"]!.GetValue<long>());
            Assert.Null(PodSpec(d)["priorityClassName"]);
            Assert.Null(PodSpec(d)["topologySpreadConstraints"]);
            Assert.Equal(["PETERREC_Kafka__GroupInstanceId=<fieldRef metadata.name>"], Env(d));
        }
    }

    [Theory]
    [InlineData("podLabels.app\\.kubernetes\\.io/component=x", "podLabels: app.kubernetes.io/component is set by the chart")]
    [InlineData("serving.podLabels.app\\.kubernetes\\.io/instance=x", "podLabels: app.kubernetes.io/instance is set by the chart")]
    [InlineData("trainer.podAnnotations.checksum/role=x", "podAnnotations: checksum/role is set by the chart")]
    [InlineData("prometheusRule.enabled=true,prometheusRule.alerts.NoSuchAlert.enabled=false", "prometheusRule.alerts: Additional property NoSuchAlert is not allowed")]
    public void Values_that_would_break_the_pods_or_rules_are_refused(string set, string message)
    {
        var result = Tools.HelmRun("template", ChartEnv.Release, Repo.Chart, "-f", Repo.ChartFile("ci", "minimal-values.yaml"), "--set", set);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    private static List<string> Env(JsonObject deployment) =>
        (PodSpec(deployment)["containers"]![0]!["env"]?.AsArray() ?? []).Select(e =>
            $"{e!["name"]}={(e["valueFrom"] is { } from ? $"<fieldRef {from["fieldRef"]!["fieldPath"]}>" : e["value"]!.GetValue<string>())}").ToList();

    private static List<string> Pairs(JsonNode map) =>
        map.AsObject().Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal).ToList();

    private static bool Enabled(JsonObject values, string role) => values[role]!["enabled"]!.GetValue<bool>();

    /// <summary>Every PETERREC_ variable a Deployment's container gets: envFrom ConfigMaps and Secret, then env.</summary>
    private static Dictionary<string, string> PodEnvironment(JsonObject deployment, List<JsonObject> rendered)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        var container = PodSpec(deployment)["containers"]![0]!;
        foreach (var source in container["envFrom"]?.AsArray() ?? [])
        {
            var (kind, reference) = source!["configMapRef"] is { } cm ? ("ConfigMap", cm) : ("Secret", source["secretRef"]!);
            var name = reference["name"]!.GetValue<string>();
            var obj = rendered.SingleOrDefault(d => Kind(d) == kind && Name(d) == name);
            Assert.True(obj is not null || reference["optional"]?.GetValue<bool>() == true, $"{kind} {name} is not rendered");
            foreach (var (key, value) in (obj?["data"] ?? obj?["stringData"])?.AsObject() ?? [])
                env[key] = value?.GetValue<string>() ?? "";
        }
        foreach (var e in container["env"]?.AsArray() ?? [])
            env[e!["name"]!.GetValue<string>()] = e["value"]?.GetValue<string>()
                ?? (e["valueFrom"]?["fieldRef"]?["fieldPath"] is { } field ? $"fieldRef:{field.GetValue<string>()}" : "");
        return env.Where(kv => kv.Key.StartsWith("PETERREC_", StringComparison.Ordinal)).ToDictionary(StringComparer.Ordinal);
    }

    [GeneratedRegex(@"^(?<kind>[a-z]+)(\.[a-z0-9.-]+)?/(?<name>\S+) created \(dry run\)$")]
    private static partial Regex CreatedLine();
}
