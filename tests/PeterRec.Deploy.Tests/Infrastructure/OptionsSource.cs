using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>One bindable property of an options class: <c>Section:Name</c>, its C# type and its initializer (if any).</summary>
internal sealed record OptionProperty(string Section, string Name, string Type, ExpressionSyntax? Initializer)
{
    public string Key => $"{Section}:{Name}";
}

/// <summary>A class bound with <c>AddOptions&lt;T&gt;().BindConfiguration(section)</c>, where the call is.</summary>
internal sealed record BoundOptions(string ClassName, string Section, string Project, string BindingMethod, IReadOnlyList<OptionProperty> Properties);

/// <summary>
/// Which options each role binds, read from the C# sources with Roslyn (the Trainer and Serving assemblies pull in
/// 500 MB of libtorch, so they are not referenced). A role binds a class when the <c>BindConfiguration</c> call is
/// in the role's project, or in a src/Infrastructure method that the role's project calls (directly or through other
/// Infrastructure methods), e.g. <c>AddPeterRecKafka</c>.
/// </summary>
internal static class OptionsSource
{
    public static readonly IReadOnlyDictionary<string, string> RoleProjects =
        new Dictionary<string, string> { ["ingest"] = "Ingest", ["serving"] = "Serving", ["trainer"] = "Trainer" };

    /// <summary>The folder under src/ whose methods every role calls (Kafka, Redis, Hosting).</summary>
    private const string Shared = "Infrastructure";

    private static readonly Lazy<Parsed> Source = new(Parse);

    public static IReadOnlyList<BoundOptions> All => Source.Value.Bound;

    public static IReadOnlyList<BoundOptions> BoundBy(string role)
    {
        var parsed = Source.Value;
        var project = RoleProjects[role];
        var reachable = parsed.Invoked(project);
        // Close over Infrastructure: a method there that the role calls may call further ones.
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var m in parsed.CommonMethods.Where(m => reachable.Contains(m.Identifier.Text)).ToList())
                foreach (var name in InvokedNames(m))
                    grew |= reachable.Add(name);
        }
        return parsed.Bound.Where(b => b.Project == project || (b.Project == Shared && reachable.Contains(b.BindingMethod))).ToList();
    }

    public static IReadOnlySet<string> Keys(string role) =>
        BoundBy(role).SelectMany(b => b.Properties).Select(p => p.Key).ToHashSet(StringComparer.Ordinal);

    public static OptionProperty Property(string key) =>
        All.SelectMany(b => b.Properties).FirstOrDefault(p => p.Key == key) ?? throw new KeyNotFoundException($"no bound option {key}");

    private sealed record Parsed(IReadOnlyList<BoundOptions> Bound, IReadOnlyList<MethodDeclarationSyntax> CommonMethods, IReadOnlyList<(string Project, SyntaxNode Root)> Files)
    {
        public HashSet<string> Invoked(string project) =>
            Files.Where(f => f.Project == project).SelectMany(f => InvokedNames(f.Root)).ToHashSet(StringComparer.Ordinal);
    }

    private static Parsed Parse()
    {
        var files = Repo.SourceFiles()
            .Select(path => (Project: Path.GetRelativePath(Repo.Src, path).Split(Path.DirectorySeparatorChar)[0],
                Root: CSharpSyntaxTree.ParseText(File.ReadAllText(path), path: path).GetRoot()))
            .ToList();
        var classes = files.SelectMany(f => f.Root.DescendantNodes().OfType<ClassDeclarationSyntax>())
            .GroupBy(c => c.Identifier.Text).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        var bound = new List<BoundOptions>();
        foreach (var (project, root) in files)
        foreach (var call in root.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (call.Expression is not MemberAccessExpressionSyntax { Name.Identifier.Text: "BindConfiguration" } bind) continue;
            var addOptions = bind.Expression.DescendantNodesAndSelf().OfType<GenericNameSyntax>().FirstOrDefault(g => g.Identifier.Text == "AddOptions")
                ?? throw new InvalidOperationException($"{Where(call)}: BindConfiguration without AddOptions<T>()");
            var className = addOptions.TypeArgumentList.Arguments.Single().ToString();
            if (!classes.TryGetValue(className, out var cls)) throw new InvalidOperationException($"{Where(call)}: options class {className} not found under src/");
            var section = SectionOf(call.ArgumentList.Arguments.Single().Expression, classes, call);
            var method = call.Ancestors().OfType<MethodDeclarationSyntax>().First().Identifier.Text;
            bound.Add(new BoundOptions(className, section, project, method, PropertiesOf(cls, section)));
        }
        var commonMethods = files.Where(f => f.Project == Shared).SelectMany(f => f.Root.DescendantNodes().OfType<MethodDeclarationSyntax>()).ToList();
        return new Parsed(bound, commonMethods, files);
    }

    /// <summary>Public instance properties with a public setter or init (computed ones like <c>EffectiveKind</c> are not bound).</summary>
    private static List<OptionProperty> PropertiesOf(ClassDeclarationSyntax cls, string section) =>
        cls.Members.OfType<PropertyDeclarationSyntax>()
            .Where(p => p.Modifiers.Any(SyntaxKind.PublicKeyword) && !p.Modifiers.Any(SyntaxKind.StaticKeyword))
            .Where(p => p.AccessorList?.Accessors.Any(a => a.Kind() is SyntaxKind.SetAccessorDeclaration or SyntaxKind.InitAccessorDeclaration
                                                         && !a.Modifiers.Any()) == true)
            .Select(p => new OptionProperty(section, p.Identifier.Text, p.Type.ToString(), p.Initializer?.Value))
            .ToList();

    private static string SectionOf(ExpressionSyntax arg, Dictionary<string, ClassDeclarationSyntax> classes, SyntaxNode at)
    {
        if (arg is LiteralExpressionSyntax lit && lit.IsKind(SyntaxKind.StringLiteralExpression)) return lit.Token.ValueText;
        if (arg is MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax owner, Name.Identifier.Text: var field }
            && classes.TryGetValue(owner.Identifier.Text, out var cls))
        {
            var constant = cls.Members.OfType<FieldDeclarationSyntax>().SelectMany(f => f.Declaration.Variables)
                .FirstOrDefault(v => v.Identifier.Text == field)?.Initializer?.Value as LiteralExpressionSyntax;
            if (constant is not null) return constant.Token.ValueText;
        }
        throw new InvalidOperationException($"{Where(at)}: cannot read the section name from '{arg}'");
    }

    private static IEnumerable<string> InvokedNames(SyntaxNode node) =>
        node.DescendantNodes().OfType<InvocationExpressionSyntax>().Select(i => i.Expression switch
        {
            MemberAccessExpressionSyntax m => m.Name.Identifier.Text,
            SimpleNameSyntax s => s.Identifier.Text,
            _ => "",
        });

    private static string Where(SyntaxNode node)
    {
        var span = node.GetLocation().GetLineSpan();
        return $"{Path.GetRelativePath(Repo.Root, span.Path)}:{span.StartLinePosition.Line + 1}";
    }
}
