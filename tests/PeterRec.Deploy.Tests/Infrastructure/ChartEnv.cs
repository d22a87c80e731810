using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>One environment variable a pod gets; <see cref="OptionKey"/> is the option it sets (list index dropped).</summary>
internal sealed partial record EnvVar(string Name, string Value)
{
    public string ConfigKey => Name["PETERREC_".Length..].Replace("__", ":", StringComparison.Ordinal);

    /// <summary><c>Section:Key</c>: a list's index (<c>:0</c>) or a map's entry (<c>Kafka:Config:&lt;property&gt;</c>) left out.</summary>
    public string OptionKey => OptionPrefix().Match(ConfigKey).Value;

    [GeneratedRegex("^[^:]+:[^:]+")]
    private static partial Regex OptionPrefix();
}

/// <summary>
/// The chart's values-to-environment mapping, as documented at the top of values.yaml and implemented by
/// <c>peterrec.sectionEnv</c> in templates/_helpers.tpl. Where helm exists, <see cref="HelmTests"/> checks this model
/// against what <c>helm template</c> really renders.
/// </summary>
internal static class ChartEnv
{
    public const string Release = "rel";

    /// <summary>Each role's own section and where its values live.</summary>
    public static readonly IReadOnlyDictionary<string, (string Section, string ValuesKey)> RoleSections =
        new Dictionary<string, (string, string)> { ["ingest"] = ("Ingest", "ingest"), ["serving"] = ("Serving", "serving"), ["trainer"] = ("Trainer", "trainer") };

    /// <summary>Keys the chart sets itself (from model.* and trainer.tasks[].name), in the role's configmap.yaml.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> ChartSet = new Dictionary<string, string[]>
    {
        ["ingest"] = [],
        ["serving"] = ["Serving:BackboneDir"],
        ["trainer"] = ["Trainer:Task", "Trainer:BackboneDir", "Trainer:CheckpointDir"],
    };

    public static JsonObject Values() => (JsonObject)Yaml.LoadFile(Repo.ChartFile("values.yaml"))!;

    /// <summary>Option keys (<c>Section:Key</c>) that appear in the values a role reads, set or empty.</summary>
    public static SortedSet<string> ValuesKeys(JsonObject values, string role)
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (section, node, _) in Sections(values, role, task: null, includeTasks: true))
            foreach (var (key, _) in node) keys.Add($"{section}:{key}");
        return keys;
    }

    /// <summary>The PETERREC_ variables a role's pod gets (<paramref name="task"/> for a trainer).</summary>
    public static List<EnvVar> Render(JsonObject values, string role, string? task = null)
    {
        var env = new List<EnvVar>();
        foreach (var (section, node, from) in Sections(values, role, task, includeTasks: false))
        {
            var map = (JsonObject)node.DeepClone();
            if (from == "config" && section == "Kafka") map["BootstrapServers"] = Required(map, "Kafka", "BootstrapServers");
            if (from == "config" && section == "Redis") map["Configuration"] = Required(map, "Redis", "Configuration");
            if (section == RoleSections[role].Section)
            {
                if (role == "serving") map["BackboneDir"] = BackboneDir(values);
                if (role == "trainer")
                {
                    map["Task"] = task ?? throw new ArgumentNullException(nameof(task));
                    map["BackboneDir"] = BackboneDir(values);
                    map["CheckpointDir"] = "/var/lib/peterrec/checkpoints";
                }
            }
            env.AddRange(SectionEnv(section, map));
        }
        // Static membership: the pod's own name (downward API), unless a fixed GroupInstanceId is configured.
        if (values["kafkaStaticMembership"]?.GetValue<bool>() == true && Format(values["config"]!["Kafka"]!["GroupInstanceId"]) is { Length: 0 })
            env.Add(new EnvVar("PETERREC_Kafka__GroupInstanceId", "fieldRef:metadata.name"));
        return env;
    }

    /// <summary>peterrec.sectionEnv: sorted keys; lists as Key__0...; maps as Key__&lt;entry&gt;; empty strings, nulls and empty lists left out.</summary>
    public static IEnumerable<EnvVar> SectionEnv(string section, JsonObject map)
    {
        foreach (var (key, value) in map.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (value is JsonArray list)
            {
                for (var i = 0; i < list.Count; i++) yield return new EnvVar($"PETERREC_{section}__{key}__{i}", Format(list[i]));
            }
            else if (value is JsonObject entries)
            {
                foreach (var (name, entry) in entries.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    yield return new EnvVar($"PETERREC_{section}__{key}__{name}", Format(entry));
            }
            else if (value is not null && Format(value) is { Length: > 0 } text)
            {
                yield return new EnvVar($"PETERREC_{section}__{key}", text);
            }
        }
    }

    public static string Format(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue<double>(out var d) =>
            d == Math.Floor(d) && Math.Abs(d) < 9e18 ? ((long)d).ToString(CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        JsonValue v => v.GetValue<string>(),
        _ => throw new InvalidDataException($"not a scalar: {node.ToJsonString()}"),
    };

    /// <summary>(section, its values, where they come from: config, secrets or the role's own config).</summary>
    private static IEnumerable<(string Section, JsonObject Node, string From)> Sections(JsonObject values, string role, string? task, bool includeTasks)
    {
        foreach (var (section, node) in (JsonObject)values["config"]!) yield return (section, (JsonObject)node!, "config");
        if (string.IsNullOrEmpty(values["existingSecret"]?.GetValue<string>()))
            foreach (var (section, node) in (JsonObject)values["secrets"]!) yield return (section, (JsonObject)node!, "secrets");

        var (own, valuesKey) = RoleSections[role];
        var config = (JsonObject)values[valuesKey]!["config"]!.DeepClone();
        var tasks = values[valuesKey]!["tasks"] as JsonArray ?? [];
        foreach (var t in tasks.OfType<JsonObject>())
        {
            if (t["config"] is not JsonObject overrides) continue;
            if (!includeTasks && t["name"]?.GetValue<string>() != task) continue;
            // Set key by key, as the template does: a task's false/0/"" overrides the trainer default too.
            foreach (var (key, value) in overrides) config[key] = value?.DeepClone();
        }
        yield return (own, config, "role");
    }

    /// <summary>peterrec.kafkaBootstrap / peterrec.redisConfiguration: the chart installs neither, so they are required
    /// (BootstrapServers may stay empty when the dev broker's BootstrapFile is set).</summary>
    private static string Required(JsonObject map, string section, string key)
    {
        if (Format(map[key]) is { Length: > 0 } configured) return configured;
        if (key == "BootstrapServers" && Format(map["BootstrapFile"]) is { Length: > 0 }) return "";
        throw new InvalidOperationException($"config.{section}.{key} is required");
    }

    private static string BackboneDir(JsonObject values) =>
        $"{values["model"]!["mountPath"]!.GetValue<string>().TrimEnd('/')}/{values["model"]!["backboneDir"]!.GetValue<string>()}";
}
