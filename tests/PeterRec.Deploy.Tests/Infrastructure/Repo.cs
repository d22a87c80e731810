namespace PeterRec.Deploy.Tests.Infrastructure;

/// <summary>Paths in the repository this test assembly was built from.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Src => Path.Combine(Root, "src");

    public static string Chart => Path.Combine(Root, "deploy", "helm", "peterrec");

    public static string ChartFile(params string[] parts) => Path.Combine([Chart, .. parts]);

    /// <summary>Every C# source of the product (bin/ and obj/ left out).</summary>
    public static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "PeterRec.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no PeterRec.sln above {AppContext.BaseDirectory}");
    }
}
