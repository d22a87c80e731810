using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>YAML documents as <see cref="JsonNode"/>s, typed the way Helm (YAML 1.2 core schema via JSON) types plain scalars.</summary>
internal static partial class Yaml
{
    public static JsonNode? LoadFile(string path)
    {
        try
        {
            return Documents(File.ReadAllText(path)).Single();
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{path}:{e.Start.Line}:{e.Start.Column}: {e.Message}", e);
        }
    }

    public static IReadOnlyList<JsonNode?> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => ToJson(d.RootNode)).ToList();
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"line {node.Start.Line}: unsupported YAML node {node.NodeType}"),
    };

    private static JsonNode? Scalar(YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style != ScalarStyle.Plain) return JsonValue.Create(v);
        if (v is "" or "~" or "null" or "Null" or "NULL") return null;
        if (v is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (v is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (IntPattern().IsMatch(v) && long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (FloatPattern().IsMatch(v)) return JsonValue.Create(double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture));
        return JsonValue.Create(v);
    }

    [GeneratedRegex("^[-+]?[0-9]+$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
