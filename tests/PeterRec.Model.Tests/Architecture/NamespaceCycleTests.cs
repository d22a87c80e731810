using System.Xml.Linq;
using Microsoft.CodeAnalysis;

namespace PeterRec.Model.Tests.Architecture;

/// <summary>Dependencies point one way: no two namespaces of the product use each other, directly or around a loop.</summary>
public class NamespaceCycleTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PeterRec.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no PeterRec.sln above {AppContext.BaseDirectory}");
    });

    /// <summary>This test process's assemblies: it references the CLI, so every product assembly and package is here.</summary>
    private static readonly Lazy<List<(string Name, MetadataReference Reference)>> Assemblies = new(() =>
        [.. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(p => (Path.GetFileNameWithoutExtension(p), (MetadataReference)MetadataReference.CreateFromFile(p)))]);

    private static IEnumerable<MetadataReference> References(string except) =>
        Assemblies.Value.Where(a => !string.Equals(a.Name, except, StringComparison.OrdinalIgnoreCase)).Select(a => a.Reference);

    /// <summary>Every product project (src/, tools/) with its assembly name and sources.</summary>
    private static IEnumerable<(string Assembly, bool Exe, List<(string Path, string Text)> Sources)> Projects()
    {
        foreach (var csproj in new[] { "src", "tools" }.SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root.Value, d), "*.csproj", SearchOption.AllDirectories)).Order(StringComparer.Ordinal))
        {
            var xml = XDocument.Load(csproj);
            var assembly = xml.Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(csproj);
            var exe = xml.Descendants("OutputType").Any(e => e.Value == "Exe");
            var dir = Path.GetDirectoryName(csproj)!;
            var sources = Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
                .Where(f => !Path.GetRelativePath(dir, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                .Select(f => (Path.GetRelativePath(Root.Value, f), File.ReadAllText(f))).ToList();
            yield return (assembly, exe, sources);
        }
    }

    [Fact]
    public void No_two_product_namespaces_depend_on_each_other()
    {
        var edges = new List<NamespaceEdge>();
        var projects = 0;
        foreach (var (assembly, exe, sources) in Projects())
        {
            projects++;
            edges.AddRange(NamespaceGraph.Edges(NamespaceGraph.Compile(assembly, sources, References(except: assembly), exe), "PeterRec"));
        }
        Assert.True(projects >= 12, $"found only {projects} projects under src/ and tools/");
        Assert.Contains(edges, e => e.From == "PeterRec.Model.Training" && e.To == "PeterRec.Model.Evaluation");
        var cycles = NamespaceGraph.Cycles(edges);
        Assert.True(cycles.Count == 0, "namespace cycles:\n" + string.Join("\n\n", cycles.Select(c =>
            string.Join("\n", c.Select(e => $"  {e.From} -> {e.To}  ({e.Where})")))));
    }

    [Fact]
    public void The_detector_finds_a_cycle_made_by_a_parent_relative_name_without_a_using()
    {
        var sources = new List<(string, string)>
        {
            ("A.cs", "namespace Demo.A;\npublic static class First { public static int Value => B.Second.Value + 1; }"),
            ("B.cs", "using Demo.A;\nnamespace Demo.B;\npublic static class Second { public const int Value = 1; public static int Loop() => First.Value; }"),
            ("C.cs", "namespace Demo.C;\npublic static class Third { public static int Use() => Demo.A.First.Value; }"),
        };
        var compilation = NamespaceGraph.Compile("Demo", sources, References(except: "Demo"));
        var edges = NamespaceGraph.Edges(compilation, "Demo").ToList();
        Assert.Contains(edges, e => e is { From: "Demo.A", To: "Demo.B" } && e.Where.Contains("'Second'"));
        var cycle = Assert.Single(NamespaceGraph.Cycles(edges));
        Assert.Equal(["Demo.A", "Demo.B"], cycle.SelectMany(e => new[] { e.From, e.To }).Distinct().Order());
    }
}
