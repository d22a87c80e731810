using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using PeterRec.Deploy.Tests.Infrastructure;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>The chart's values and the options the code binds are the same set, with the same types and defaults.</summary>
public sealed class ChartOptionsTests
{
    public static TheoryData<string> Roles => new(OptionsSource.RoleProjects.Keys);

    [Fact]
    public void Source_reader_finds_the_sections_each_role_binds()
    {
        string Sections(string role) => string.Join(",", OptionsSource.BoundBy(role).Select(b => b.Section).Order(StringComparer.Ordinal));
        Assert.Equal("Http,Ingest,Kafka,Logging,Redis,Topics", Sections("ingest"));
        Assert.Equal("Http,Kafka,Logging,Redis,Serving,Topics", Sections("serving"));
        Assert.Equal("Http,Kafka,Logging,Redis,Topics,Trainer", Sections("trainer"));
    }

    [Fact]
    public void Source_reader_agrees_with_reflection_where_the_assembly_is_loaded()
    {
        var assemblies = new[] { typeof(PeterRec.Kafka.KafkaOptions).Assembly, typeof(PeterRec.Redis.RedisOptions).Assembly, typeof(PeterRec.Hosting.HttpOptions).Assembly, typeof(PeterRec.Contracts.TopicOptions).Assembly, typeof(PeterRec.Ingest.IngestOptions).Assembly };
        var checkedClasses = 0;
        foreach (var bound in OptionsSource.All)
        {
            var type = assemblies.SelectMany(a => a.GetTypes()).SingleOrDefault(t => t.Name == bound.ClassName);
            if (type is null) continue;
            checkedClasses++;
            var reflected = type.GetProperties().Where(p => p.SetMethod?.IsPublic == true).Select(p => p.Name).Order(StringComparer.Ordinal);
            Assert.Equal(reflected, bound.Properties.Select(p => p.Name).Order(StringComparer.Ordinal));
            Assert.Equal(bound.Section, type.GetField("Section")?.GetValue(null));
            // The initializer evaluation agrees with a real instance.
            var instance = Activator.CreateInstance(type)!;
            foreach (var p in bound.Properties)
            {
                var actual = type.GetProperty(p.Name)!.GetValue(instance);
                Assert.Equal(ChartEnv.Format(ToNode(actual)), ChartEnv.Format(ToNode(OptionTypes.Default(p))));
            }
        }
        Assert.True(checkedClasses >= 5, $"only {checkedClasses} bound classes found in the loaded assemblies");
    }

    [Theory, MemberData(nameof(Roles))]
    public void Every_bound_option_is_in_the_values_or_set_by_the_chart_and_nothing_else_is(string role)
    {
        var bound = OptionsSource.Keys(role);
        var inValues = ChartEnv.ValuesKeys(ChartEnv.Values(), role);
        var chartSet = ChartEnv.ChartSet[role].ToHashSet(StringComparer.Ordinal);

        var missing = bound.Except(inValues).Except(chartSet).Order(StringComparer.Ordinal).ToList();
        var ignored = inValues.Union(chartSet).Except(bound).Order(StringComparer.Ordinal).ToList();
        var twice = inValues.Intersect(chartSet).ToList();
        Assert.True(missing.Count == 0, $"{role}: options the code binds but the chart cannot set: {string.Join(", ", missing)}");
        Assert.True(ignored.Count == 0, $"{role}: chart keys no {role} options class binds: {string.Join(", ", ignored)}");
        Assert.True(twice.Count == 0, $"{role}: set by the chart and also in values: {string.Join(", ", twice)}");
    }

    [Theory, MemberData(nameof(Roles))]
    public void Rendered_environment_sets_only_bound_options_with_parsable_values(string role)
    {
        var values = WithClusters(ChartEnv.Values());
        var bound = OptionsSource.Keys(role);
        var env = ChartEnv.Render(values, role, task: role == "trainer" ? "rec" : null);
        Assert.NotEmpty(env);
        foreach (var e in env)
        {
            Assert.True(bound.Contains(e.OptionKey), $"{role}: {e.Name} sets {e.OptionKey}, which no {role} options class binds");
            Assert.True(OptionTypes.Parses(OptionsSource.Property(e.OptionKey), e.Value), $"{e.Name}='{e.Value}' does not parse as {OptionsSource.Property(e.OptionKey).Type}");
        }
        Assert.Contains(env, e => e.Name == "PETERREC_Http__BindAddress" && e.Value == "0.0.0.0");
    }

    [Fact]
    public void Chart_set_keys_are_set_in_the_role_config_map_templates()
    {
        foreach (var (role, keys) in ChartEnv.ChartSet)
        {
            var template = File.ReadAllText(Repo.ChartFile("templates", role, "configmap.yaml"));
            var section = ChartEnv.RoleSections[role].Section;
            Assert.Contains($"\"section\" \"{section}\"", template, StringComparison.Ordinal);
            foreach (var key in keys)
                Assert.Contains($"set $config \"{key.Split(':')[1]}\"", template, StringComparison.Ordinal);
        }
    }

    [Theory, MemberData(nameof(Roles))]
    public void Values_have_the_types_the_code_binds(string role)
    {
        var values = ChartEnv.Values();
        var problems = new List<string>();
        foreach (var key in ChartEnv.ValuesKeys(values, role))
        {
            var p = OptionsSource.Property(key);
            if (OptionTypes.Mismatch(p, Lookup(values, role, key)) is { } why) problems.Add(why);
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>values.yaml documents the code's defaults; where it deliberately differs, the reason is here.</summary>
    private static readonly Dictionary<string, string> DeliberateOverrides = new(StringComparer.Ordinal)
    {
        ["Http:Port"] = "a fixed port for probes and scraping, not a random free one",
        ["Http:BindAddress"] = "probed and scraped from other hosts",
        ["Redis:Configuration"] = "127.0.0.1 is never Redis inside a pod: empty means the redis dependency, else the chart asks for it",
        ["Serving:Tasks"] = "the code requires at least one task; the chart serves the one trainer it deploys",
    };

    [Theory, MemberData(nameof(Roles))]
    public void Values_defaults_are_the_code_defaults(string role)
    {
        var values = ChartEnv.Values();
        var drift = new List<string>();
        foreach (var key in ChartEnv.ValuesKeys(values, role).Where(k => !DeliberateOverrides.ContainsKey(k)))
        {
            var code = ChartEnv.Format(OptionTypes.Default(OptionsSource.Property(key)) is JsonArray a ? JsonValue.Create(string.Join(",", a)) : OptionTypes.Default(OptionsSource.Property(key)));
            var node = Lookup(values, role, key);
            var chart = ChartEnv.Format(node switch
            {
                JsonArray b => JsonValue.Create(string.Join(",", b)),
                JsonObject m => JsonValue.Create(string.Join(",", m.Select(kv => $"{kv.Key}={kv.Value}"))),
                _ => node,
            });
            if (!string.Equals(code, chart, StringComparison.OrdinalIgnoreCase)) drift.Add($"{key}: code default '{code}', values.yaml '{chart}'");
        }
        Assert.True(drift.Count == 0, string.Join("\n", drift));
    }

    [Fact]
    public void Ingest_options_bind_and_validate_from_the_rendered_environment()
    {
        var env = ChartEnv.Render(WithClusters(ChartEnv.Values()), "ingest");
        var config = new ConfigurationBuilder().AddInMemoryCollection(env.Select(e => KeyValuePair.Create(e.ConfigKey, (string?)e.Value))).Build();
        var assemblies = new[] { typeof(PeterRec.Kafka.KafkaOptions).Assembly, typeof(PeterRec.Redis.RedisOptions).Assembly, typeof(PeterRec.Hosting.HttpOptions).Assembly, typeof(PeterRec.Contracts.TopicOptions).Assembly, typeof(PeterRec.Ingest.IngestOptions).Assembly };
        foreach (var bound in OptionsSource.BoundBy("ingest"))
        {
            var type = assemblies.SelectMany(a => a.GetTypes()).Single(t => t.Name == bound.ClassName);
            var options = config.GetSection(bound.Section).Get(type, o => o.ErrorOnUnknownConfiguration = true) ?? Activator.CreateInstance(type)!;
            var errors = new List<ValidationResult>();
            Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true),
                $"{bound.Section}: {string.Join("; ", errors.Select(e => e.ErrorMessage))}");
        }
    }

    /// <summary>values.yaml leaves the cluster addresses empty (they are site-specific); an install sets them.</summary>
    internal static JsonObject WithClusters(JsonObject values)
    {
        values["config"]!["Kafka"]!["BootstrapServers"] = "kafka-0.kafka:9092";
        values["config"]!["Redis"]!["Configuration"] = "redis:6379";
        return values;
    }

    private static JsonNode? Lookup(JsonObject values, string role, string key)
    {
        var (section, name) = (key.Split(':')[0], key.Split(':')[1]);
        var (own, valuesKey) = ChartEnv.RoleSections[role];
        if (section == own) return values[valuesKey]!["config"]![name];
        return values["config"]![section]?[name] ?? values["secrets"]![section]?[name];
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create((long)i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        Enum e => JsonValue.Create(e.ToString()),
        System.Collections.IEnumerable list => JsonValue.Create(string.Join(",", list.Cast<object>())),
        JsonNode n => n is JsonArray a ? JsonValue.Create(string.Join(",", a)) : n,
        _ => JsonValue.Create(value.ToString()),
    };
}
