using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace PeterRec.Model.Tests.Architecture;

/// <summary>One use of a symbol of namespace <c>To</c> by code in namespace <c>From</c>, and where it is.</summary>
public sealed record NamespaceEdge(string From, string To, string Where);

/// <summary>
/// Which namespaces use which, read with Roslyn's semantic model: every name in the code is bound to its symbol, so a
/// use counts whether it came through a <c>using</c>, a full or parent-relative name (<c>Evaluation.X</c> from inside
/// <c>PeterRec.Model.Training</c>), an extension method or a member of a type obtained elsewhere. Unused usings and
/// documentation comments do not count.
/// </summary>
public static class NamespaceGraph
{
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Threading;
        global using System.Threading.Tasks;
        """;

    /// <summary>Compiles <paramref name="sources"/> as one assembly against <paramref name="references"/>.</summary>
    public static CSharpCompilation Compile(string assemblyName, IEnumerable<(string Path, string Text)> sources, IEnumerable<MetadataReference> references, bool exe = false)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var trees = sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, parse, s.Path))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "ImplicitUsings.g.cs")).ToList();
        var options = new CSharpCompilationOptions(exe ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
            nullableContextOptions: NullableContextOptions.Enable, allowUnsafe: true);
        return CSharpCompilation.Create(assemblyName, trees, references, options);
    }

    /// <summary>Uses between distinct namespaces that start with <paramref name="prefix"/>; refuses code that does not bind.</summary>
    public static IEnumerable<NamespaceEdge> Edges(CSharpCompilation compilation, string prefix)
    {
        foreach (var tree in compilation.SyntaxTrees)
        {
            var model = compilation.GetSemanticModel(tree);
            // Code that does not bind would hide its uses. CS8795: [LibraryImport] partial methods, whose bodies a source
            // generator writes at build time (not run here).
            var errors = model.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").Take(5).ToList();
            if (errors.Count > 0)
                throw new InvalidOperationException($"{compilation.AssemblyName} does not compile here, so its names cannot all be bound:\n{string.Join("\n", errors)}");
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                if (node is not (SimpleNameSyntax or ImplicitObjectCreationExpressionSyntax)) continue;
                if (node.Ancestors().Any(a => a is UsingDirectiveSyntax)) continue;
                var from = Enclosing(model.GetEnclosingSymbol(node.SpanStart));
                var to = Namespace(Target(model.GetSymbolInfo(node).Symbol));
                if (from is null || to is null || from == to) continue;
                if (!from.StartsWith(prefix, StringComparison.Ordinal) || !to.StartsWith(prefix, StringComparison.Ordinal)) continue;
                var line = node.GetLocation().GetLineSpan();
                yield return new NamespaceEdge(from, to, $"{line.Path}:{line.StartLinePosition.Line + 1} '{node}'");
            }
        }
    }

    /// <summary>Every strongly connected group of two or more namespaces, with one use per edge inside it.</summary>
    public static List<List<NamespaceEdge>> Cycles(IEnumerable<NamespaceEdge> edges)
    {
        var byEdge = edges.GroupBy(e => (e.From, e.To)).ToDictionary(g => g.Key, g => g.First());
        var graph = byEdge.Keys.GroupBy(k => k.From).ToDictionary(g => g.Key, g => g.Select(k => k.To).ToList());
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<NamespaceEdge>>();
        void Visit(string v)
        {
            index[v] = low[v] = index.Count;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in graph.GetValueOrDefault(v) ?? [])
            {
                if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v]) return;
            var component = new HashSet<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); component.Add(x); } while (x != v);
            if (component.Count > 1)
                result.Add([.. byEdge.Where(kv => component.Contains(kv.Key.From) && component.Contains(kv.Key.To)).Select(kv => kv.Value)]);
        }
        foreach (var v in graph.Keys.Concat(graph.Values.SelectMany(t => t)).Distinct().Order(StringComparer.Ordinal).ToList())
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    private static ISymbol? Target(ISymbol? symbol) => symbol switch
    {
        IMethodSymbol { ReducedFrom: { } extension } => extension,
        IAliasSymbol alias => alias.Target,
        _ => symbol,
    };

    /// <summary>The namespace a symbol is declared in; null for locals, parameters, namespaces and the like.</summary>
    private static string? Namespace(ISymbol? symbol) => symbol switch
    {
        null or INamespaceSymbol or ITypeParameterSymbol or ILocalSymbol or IParameterSymbol or ILabelSymbol or IRangeVariableSymbol
            or IDiscardSymbol or IPreprocessingSymbol => null,
        IArrayTypeSymbol array => Namespace(array.ElementType),
        IPointerTypeSymbol pointer => Namespace(pointer.PointedAtType),
        _ => symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
    };

    /// <summary>The namespace code at a position belongs to.</summary>
    private static string? Enclosing(ISymbol? symbol) => symbol switch
    {
        INamespaceSymbol { IsGlobalNamespace: false } ns => ns.ToDisplayString(),
        null or INamespaceSymbol => null,
        _ => symbol.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
    };
}
