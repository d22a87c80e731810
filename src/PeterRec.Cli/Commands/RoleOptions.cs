using System.CommandLine;
using System.Globalization;

namespace PeterRec.Cli.Commands;

/// <summary>Command-line options that map onto role configuration keys (they override appsettings and <c>PETERREC_*</c>).</summary>
internal sealed class RoleOptions
{
    private readonly List<(Option Option, Func<ParseResult, string?> Read, string Key)> _map = [];

    public Option<T> Add<T>(Option<T> option, string key)
    {
        _map.Add((option, r => r.GetValue(option) is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null, key));
        return option;
    }

    /// <summary>A list option written as <c>Key:0</c>, <c>Key:1</c>, ... (comma-separated values allowed).</summary>
    public Option<string[]> AddList(Option<string[]> option, string key)
    {
        _map.Add((option, _ => null, key));
        _lists.Add((option, key));
        return option;
    }

    private readonly List<(Option<string[]> Option, string Key)> _lists = [];

    public void AddTo(Command command)
    {
        foreach (var (option, _, _) in _map) command.Options.Add(option);
    }

    public Dictionary<string, string?> Overrides(ParseResult result)
    {
        var overrides = new Dictionary<string, string?>();
        foreach (var (_, read, key) in _map)
            if (read(result) is { } value) overrides[key] = value;
        foreach (var (option, key) in _lists)
        {
            var values = (result.GetValue(option) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
            for (int i = 0; i < values.Count; i++) overrides[$"{key}:{i}"] = values[i];
        }
        return overrides;
    }

    /// <summary>The options every role shares: Kafka, Redis, HTTP port.</summary>
    public static RoleOptions Common()
    {
        var o = new RoleOptions();
        o.Add(new Option<string?>("--kafka") { Description = "Kafka bootstrap servers (Kafka:BootstrapServers)" }, "Kafka:BootstrapServers");
        o.Add(new Option<string?>("--bootstrap-file") { Description = "File with the bootstrap servers, as written by dev-broker (Kafka:BootstrapFile)" }.NotADirectory(), "Kafka:BootstrapFile");
        o.Add(new Option<string?>("--redis") { Description = "Redis HOST:PORT (Redis:Configuration)" }, "Redis:Configuration");
        o.Add(new Option<string?>("--key-prefix") { Description = "Redis key prefix (Redis:KeyPrefix)" }, "Redis:KeyPrefix");
        o.Add(new Option<int?>("--http-port") { Description = "Port for /healthz, /readyz, /metrics; 0 = any free port (Http:Port)" }.Between(0, 65535), "Http:Port");
        return o;
    }
}
