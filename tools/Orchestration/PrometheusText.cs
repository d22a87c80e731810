using System.Globalization;
using System.Text;

namespace PeterRec.Orchestration;

/// <summary>One sample of the Prometheus text format: <c>name{label="value",...} value</c>.</summary>
public sealed record MetricSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
{
    public bool Matches(params (string Key, string Value)[] filter) =>
        filter.All(f => Labels.TryGetValue(f.Key, out var v) && v == f.Value);
}

/// <summary>
/// Parser for the Prometheus text exposition format 0.0.4 (what the roles' /metrics serves). Comments and blank lines
/// are skipped; a malformed line is an error naming the line, since a silently dropped sample would skew the run's numbers.
/// </summary>
public static class PrometheusText
{
    public static IReadOnlyList<MetricSample> Parse(string text)
    {
        var samples = new List<MetricSample>();
        var lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#') continue;
            samples.Add(ParseLine(line, lineNumber));
        }
        return samples;
    }

    private static MetricSample ParseLine(string line, int lineNumber)
    {
        FormatException Error(string what) => new($"metrics line {lineNumber}: {what}: '{line}'");
        var i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ' or '\t')) i++;
        var name = line[..i];
        if (name.Length == 0) throw Error("expected a metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (true)
            {
                while (i < line.Length && line[i] is ' ' or ',') i++;
                if (i >= line.Length) throw Error("unterminated label set");
                if (line[i] == '}') { i++; break; }
                var eq = line.IndexOf('=', i);
                if (eq < 0 || eq + 1 >= line.Length || line[eq + 1] != '"') throw Error("expected label=\"value\"");
                var key = line[i..eq].Trim();
                var value = new StringBuilder();
                i = eq + 2;
                while (true)
                {
                    if (i >= line.Length) throw Error("unterminated label value");
                    var c = line[i++];
                    if (c == '"') break;
                    if (c == '\\' && i < line.Length)
                    {
                        var e = line[i++];
                        value.Append(e switch { 'n' => '\n', _ => e });
                    }
                    else value.Append(c);
                }
                labels[key] = value.ToString();
            }
        }
        var rest = line[i..].Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length is < 1 or > 2) throw Error("expected a value and an optional timestamp");
        return new MetricSample(name, labels, ParseValue(rest[0]) ?? throw Error($"'{rest[0]}' is not a number"));
    }

    private static double? ParseValue(string s) => s switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null,
    };
}
