using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>The value kinds options bind from (C# type as written in the source) and their defaults.</summary>
internal static class OptionTypes
{
    public enum Kind { Integer, Number, Boolean, String, StringList, StringMap, Enum }

    public static Kind KindOf(OptionProperty p) => p.Type.TrimEnd('?') switch
    {
        "int" or "long" or "short" => Kind.Integer,
        "double" or "float" or "decimal" => Kind.Number,
        "bool" => Kind.Boolean,
        "string" => Kind.String,
        "List<string>" or "string[]" or "IReadOnlyList<string>" or "IList<string>" => Kind.StringList,
        "Dictionary<string, string>" or "IDictionary<string, string>" => Kind.StringMap,
        var t when EnumType(t) is not null => Kind.Enum,
        var t => throw new InvalidOperationException($"{p.Key}: no value kind for C# type '{t}' (extend OptionTypes)"),
    };

    /// <summary>An enum type by simple name among the loaded assemblies (Confluent.Kafka's SecurityProtocol etc.).</summary>
    public static Type? EnumType(string simpleName)
    {
        // The options' assemblies and what they reference (Confluent.Kafka for SecurityProtocol, SaslMechanism).
        var assemblies = new[] { typeof(PeterRec.Kafka.KafkaOptions).Assembly, typeof(PeterRec.Redis.RedisOptions).Assembly, typeof(PeterRec.Hosting.HttpOptions).Assembly, typeof(PeterRec.Contracts.TopicOptions).Assembly, typeof(PeterRec.Ingest.IngestOptions).Assembly, typeof(Confluent.Kafka.SecurityProtocol).Assembly };
        return assemblies.SelectMany(a => a.GetTypes()).FirstOrDefault(t => t.IsEnum && t.IsPublic && t.Name == simpleName);
    }

    /// <summary>Null when the value suits the property, else why not.</summary>
    public static string? Mismatch(OptionProperty p, JsonNode? value)
    {
        if (value is null) return null;
        var kind = KindOf(p);
        bool ok = kind switch
        {
            Kind.Integer => value is JsonValue v && v.TryGetValue<long>(out _),
            Kind.Number => value is JsonValue v && (v.TryGetValue<long>(out _) || v.TryGetValue<double>(out _)),
            Kind.Boolean => value is JsonValue v && v.TryGetValue<bool>(out _),
            Kind.String => value is JsonValue v && v.TryGetValue<string>(out _),
            Kind.StringList => value is JsonArray a && a.All(i => i is JsonValue iv && iv.TryGetValue<string>(out _)),
            Kind.StringMap => value is JsonObject o && o.All(kv => kv.Value is JsonValue ev && (ev.TryGetValue<string>(out _) || ev.TryGetValue<double>(out _) || ev.TryGetValue<bool>(out _))),
            Kind.Enum => value is JsonValue v && v.TryGetValue<string>(out var s)
                         && (s.Length == 0 || Enum.GetNames(EnumType(p.Type.TrimEnd('?'))!).Contains(s, StringComparer.OrdinalIgnoreCase)),
            _ => false,
        };
        return ok ? null : $"{p.Key} is {p.Type} ({kind}) but values.yaml has {value.ToJsonString()}";
    }

    /// <summary>True when the rendered string parses as the property's type (what the configuration binder does).</summary>
    public static bool Parses(OptionProperty p, string text) => KindOf(p) switch
    {
        Kind.Integer => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
        Kind.Number => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        Kind.Boolean => bool.TryParse(text, out _),
        Kind.Enum => Enum.TryParse(EnumType(p.Type.TrimEnd('?'))!, text, ignoreCase: true, out _),
        _ => true,
    };

    /// <summary>
    /// The property's default from its initializer: literals, products of integer literals (<c>30 * 24 * 3600</c>),
    /// enum members, empty collections; no initializer means the type's default. Throws on anything else.
    /// </summary>
    public static JsonNode? Default(OptionProperty p)
    {
        if (p.Initializer is null)
            return KindOf(p) switch
            {
                Kind.Integer or Kind.Number => p.Type.EndsWith('?') ? null : JsonValue.Create(0L),
                Kind.Boolean => JsonValue.Create(false),
                Kind.StringList or Kind.StringMap => new JsonArray(),
                _ => null,
            };
        return Evaluate(p, p.Initializer);
    }

    private static JsonNode? Evaluate(OptionProperty p, ExpressionSyntax e) => e switch
    {
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.StringLiteralExpression) => JsonValue.Create(l.Token.ValueText),
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.TrueLiteralExpression) => JsonValue.Create(true),
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.FalseLiteralExpression) => JsonValue.Create(false),
        LiteralExpressionSyntax l when l.IsKind(SyntaxKind.NullLiteralExpression) => null,
        LiteralExpressionSyntax l when l.Token.Value is int or long => JsonValue.Create(Convert.ToInt64(l.Token.Value, CultureInfo.InvariantCulture)),
        LiteralExpressionSyntax l when l.Token.Value is double or float => JsonValue.Create(Convert.ToDouble(l.Token.Value, CultureInfo.InvariantCulture)),
        BinaryExpressionSyntax b when b.IsKind(SyntaxKind.MultiplyExpression) =>
            JsonValue.Create(Evaluate(p, b.Left)!.GetValue<long>() * Evaluate(p, b.Right)!.GetValue<long>()),
        ParenthesizedExpressionSyntax paren => Evaluate(p, paren.Expression),
        CollectionExpressionSyntax { Elements.Count: 0 } => new JsonArray(),
        MemberAccessExpressionSyntax m when KindOf(p) == Kind.Enum => JsonValue.Create(m.Name.Identifier.Text),
        _ => throw new InvalidOperationException($"{p.Key}: cannot evaluate the initializer '{e}'"),
    };
}
