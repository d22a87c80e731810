using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PeterRec.Deploy.Tests.Infrastructure;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>values.schema.json accepts the shipped values, rejects unknown keys and bad values, and mirrors the options.</summary>
public sealed class ValuesSchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() => JsonSchema.FromFile(Repo.ChartFile("values.schema.json")));

    private static EvaluationResults Evaluate(JsonNode values) =>
        Schema.Value.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });

    private static string Describe(EvaluationResults results) =>
        string.Join("\n", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}")));

    [Fact]
    public void Shipped_values_validate()
    {
        var results = Evaluate(ChartEnv.Values());
        Assert.True(results.IsValid, Describe(results));
    }

    [Theory, MemberData(nameof(HelmTests.CiValues), MemberType = typeof(HelmTests))]
    public void Ci_values_merged_over_the_defaults_validate(string file)
    {
        var merged = Merge(ChartEnv.Values(), Yaml.LoadFile(Repo.ChartFile("ci", file))!);
        var results = Evaluate(merged);
        Assert.True(results.IsValid, Describe(results));
    }

    public static TheoryData<string, string> BadValues => new()
    {
        { "unknown top-level key", """{"replicaCount": 3}""" },
        { "typo in a Kafka option", """{"config": {"Kafka": {"BootstrapServer": "k:9092"}}}""" },
        { "option of another role's section", """{"ingest": {"config": {"TopN": 5}}}""" },
        { "chart-set key in a task's config", """{"trainer": {"tasks": [{"name": "rec", "config": {"Task": "other"}}]}}""" },
        { "string for an int", """{"config": {"Http": {"Port": "http"}}}""" },
        { "out of the code's range", """{"config": {"Redis": {"TimeoutMs": 10}}}""" },
        { "unknown enum member", """{"config": {"Kafka": {"SecurityProtocol": "Tls"}}}""" },
        { "device name", """{"serving": {"config": {"Device": "gpu"}}}""" },
        { "task name that is no DNS label", """{"trainer": {"tasks": [{"name": "Rec_1"}]}}""" },
        { "unknown gpu key", """{"trainer": {"gpu": {"vendor": "nvidia"}}}""" },
        { "no serving task", """{"serving": {"config": {"Tasks": []}}}""" },
        { "the dropped Bitnami subchart's values", """{"kafka": {"enabled": true}}""" },
        { "a pod label that is no string", """{"ingest": {"podLabels": {"tier": 3}}}""" },
        { "an env entry without a name", """{"extraEnv": [{"value": "x"}]}""" },
        { "an env entry with both value and valueFrom", """{"serving": {"extraEnv": [{"name": "A", "value": "x", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}]}}""" },
        { "a misspelt EnvVar key", """{"trainer": {"extraEnv": [{"name": "A", "valu": "x"}]}}""" },
        { "a priority class that is no DNS name", """{"priorityClassName": "High Priority"}""" },
        { "a topology spread without topologyKey", """{"ingest": {"topologySpreadConstraints": [{"maxSkew": 1, "whenUnsatisfiable": "DoNotSchedule"}]}}""" },
        { "an unknown whenUnsatisfiable", """{"serving": {"topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Never"}]}}""" },
        { "a negative grace period", """{"trainer": {"terminationGracePeriodSeconds": -1}}""" },
        { "an override of an alert that does not exist", """{"prometheusRule": {"alerts": {"PeterRecLagHigh": {"enabled": false}}}}""" },
        { "an alert duration Prometheus cannot parse", """{"prometheusRule": {"alerts": {"PeterRecConsumerLagHigh": {"for": "15 minutes"}}}}""" },
        { "an unknown key of a task", """{"trainer": {"tasks": [{"name": "rec", "podLabels": {"a": "b"}}]}}""" },
    };

    [Theory, MemberData(nameof(BadValues))]
    public void Schema_rejects(string what, string overlay)
    {
        var results = Evaluate(Merge(ChartEnv.Values(), JsonNode.Parse(overlay)!));
        Assert.False(results.IsValid, $"accepted: {what}");
    }

    /// <summary>Strict means strict: every object the schema describes property by property closes the rest.</summary>
    [Fact]
    public void Every_described_object_forbids_unknown_keys()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Repo.ChartFile("values.schema.json")))!;
        var open = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            if (node is JsonObject obj)
            {
                if (obj["properties"] is JsonObject && obj["additionalProperties"]?.GetValue<bool>() != false)
                    open.Add(path);
                foreach (var (key, child) in obj) Walk(child, $"{path}/{key}");
            }
            else if (node is JsonArray arr)
            {
                for (var i = 0; i < arr.Count; i++) Walk(arr[i], $"{path}/{i}");
            }
        }
        Walk(schema, "");
        Assert.True(open.Count == 0, "objects without additionalProperties=false: " + string.Join(", ", open));
    }

    /// <summary>The schema's option sections list exactly the values' keys, with the JSON type of the bound C# type.</summary>
    [Theory, MemberData(nameof(ChartOptionsTests.Roles), MemberType = typeof(ChartOptionsTests))]
    public void Schema_option_sections_match_the_bound_types(string role)
    {
        var schema = JsonNode.Parse(File.ReadAllText(Repo.ChartFile("values.schema.json")))!;
        var (own, valuesKey) = ChartEnv.RoleSections[role];
        var problems = new List<string>();
        foreach (var key in ChartEnv.ValuesKeys(ChartEnv.Values(), role))
        {
            var (section, name) = (key.Split(':')[0], key.Split(':')[1]);
            var node = section == own
                ? schema["properties"]![valuesKey]!["properties"]!["config"]!["properties"]![name]
                : schema["properties"]!["config"]!["properties"]![section]?["properties"]?[name]
                  ?? schema["properties"]!["secrets"]!["properties"]![section]?["properties"]?[name];
            if (node is null) { problems.Add($"{key}: not in the schema"); continue; }
            var expected = OptionTypes.KindOf(OptionsSource.Property(key)) switch
            {
                OptionTypes.Kind.Integer => "integer",
                OptionTypes.Kind.Number => "number",
                OptionTypes.Kind.Boolean => "boolean",
                OptionTypes.Kind.StringList => "array",
                OptionTypes.Kind.StringMap => "object",
                _ => "string",
            };
            if (node["type"]?.GetValue<string>() != expected) problems.Add($"{key}: schema type {node["type"]}, C# {OptionsSource.Property(key).Type} wants {expected}");
            if (OptionTypes.KindOf(OptionsSource.Property(key)) == OptionTypes.Kind.Enum)
            {
                var names = Enum.GetNames(OptionTypes.EnumType(OptionsSource.Property(key).Type.TrimEnd('?'))!).ToHashSet(StringComparer.Ordinal);
                var listed = node["enum"]!.AsArray().Select(n => n!.GetValue<string>()).Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
                if (!listed.SetEquals(names)) problems.Add($"{key}: schema enum [{string.Join(",", listed)}] but C# has [{string.Join(",", names)}]");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>Helm's coalescing: maps merge key by key, anything else replaces.</summary>
    internal static JsonNode Merge(JsonNode baseValues, JsonNode overlay)
    {
        if (baseValues is not JsonObject b || overlay is not JsonObject o) return overlay.DeepClone();
        var result = (JsonObject)b.DeepClone();
        foreach (var (key, value) in o)
            result[key] = value is null ? null : result[key] is { } existing ? Merge(existing, value) : value.DeepClone();
        return result;
    }
}
