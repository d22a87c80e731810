using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace PeterRec.Cli.Commands;

/// <summary>
/// Argument checks that run while parsing, before a command does any work: a failed check is a usage error
/// (exit 2, one line naming the option). Each returns its option so checks read where the option is declared.
/// </summary>
internal static class OptionChecks
{
    /// <summary>Only explicitly given values are checked: defaults are valid by construction.</summary>
    private static Option<T> Check<T>(this Option<T> option, Func<T, string?> problem)
    {
        option.Validators.Add(r =>
        {
            if (r.Implicit) return;
            T value;
            try { value = r.GetValueOrDefault<T>(); }
            catch (InvalidOperationException) { return; } // the value did not convert: the parser reports that itself
            if (problem(value) is { } p) r.AddError($"{option.Name} {Show(r)}: {p}");
        });
        return option;
    }

    private static string Show(OptionResult r) => string.Join(' ', r.Tokens.Select(t => t.Value)) is { Length: > 0 } s ? $"'{s}'" : "''";

    /// <summary>
    /// A check across options. Skipped when a value it reads did not parse or is missing: the parser reports that
    /// itself, and reading it here would throw.
    /// </summary>
    public static void AddCheck(this Command command, Action<CommandResult> check) =>
        command.Validators.Add(r =>
        {
            try { check(r); }
            catch (InvalidOperationException) { }
        });

    /// <summary>Any other rule: <paramref name="ok"/> or the error "expected <paramref name="expected"/>".</summary>
    public static Option<T> Must<T>(this Option<T> option, Func<T, bool> ok, string expected) =>
        option.Check(v => ok(v) ? null : $"expected {expected}");

    public static Option<int> AtLeast(this Option<int> option, int min) =>
        option.Check(v => v >= min ? null : $"expected an integer >= {min}");

    public static Option<int?> AtLeast(this Option<int?> option, int min) =>
        option.Check(v => v is null || v >= min ? null : $"expected an integer >= {min}");

    public static Option<long> AtLeast(this Option<long> option, long min) =>
        option.Check(v => v >= min ? null : $"expected an integer >= {min}");

    public static Option<int> Between(this Option<int> option, int min, int max) =>
        option.Check(v => v >= min && v <= max ? null : $"expected an integer from {min} to {max}");

    public static Option<int?> Between(this Option<int?> option, int min, int max) =>
        option.Check(v => v is null || v >= min && v <= max ? null : $"expected an integer from {min} to {max}");

    /// <summary>A finite number above <paramref name="min"/> (or at least it when <paramref name="inclusive"/>).</summary>
    public static Option<double> Above(this Option<double> option, double min, bool inclusive = false) =>
        option.Check(v => double.IsFinite(v) && (inclusive ? v >= min : v > min) ? null : $"expected a finite number {(inclusive ? ">=" : ">")} {min.ToString(CultureInfo.InvariantCulture)}");

    public static Option<double?> Above(this Option<double?> option, double min, bool inclusive = false) =>
        option.Check(v => v is not { } x || double.IsFinite(x) && (inclusive ? x >= min : x > min) ? null : $"expected a finite number {(inclusive ? ">=" : ">")} {min.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>A share: finite, from <paramref name="min"/> to below <paramref name="maxExclusive"/>.</summary>
    public static Option<double> Fraction(this Option<double> option, double min, double maxExclusive) =>
        option.Check(v => double.IsFinite(v) && v >= min && v < maxExclusive ? null
            : $"expected a fraction >= {min.ToString(CultureInfo.InvariantCulture)} and < {maxExclusive.ToString(CultureInfo.InvariantCulture)}");

    public static Option<string> OneOf(this Option<string> option, params string[] allowed) =>
        option.Check(v => allowed.Contains(v) ? null : $"expected {string.Join(", ", allowed)}");

    public static Option<string?> OneOfIfGiven(this Option<string?> option, params string[] allowed) =>
        option.Check(v => v is null || allowed.Contains(v) ? null : $"expected {string.Join(", ", allowed)}");

    /// <summary>Anything but an existing directory (a file that may not exist yet, e.g. one another process writes).</summary>
    public static Option<T> NotADirectory<T>(this Option<T> option) =>
        option.Check(v => PathOf(v) is { } p && Directory.Exists(p) ? "is a directory; expected a file" : null);

    /// <summary>Comma-separated integers >= <paramref name="min"/>, none empty (<c>1,,2</c> is refused, not read as 1,2).</summary>
    public static Option<string> IntList(this Option<string> option, int min) =>
        option.Check(v => ParseIntList(v, min, out _));

    internal static string? ParseIntList(string? text, int min, out int[] values)
    {
        values = [];
        if (string.IsNullOrWhiteSpace(text)) return "expected comma-separated integers, e.g. 1,4,1,4";
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var parsed = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out parsed[i]))
                return parts[i].Length == 0 ? $"entry {i + 1} is empty; expected comma-separated integers, e.g. 1,4,1,4"
                                            : $"entry {i + 1} '{parts[i]}' is not an integer";
            if (parsed[i] < min) return $"entry {i + 1} is {parsed[i]}; expected integers >= {min}";
        }
        values = parsed;
        return null;
    }

    /// <summary>An existing regular file (a directory or a missing path is refused).</summary>
    public static Option<T> ExistingFile<T>(this Option<T> option) =>
        option.Check(v => PathOf(v) is not { } p ? null : Directory.Exists(p) ? "is a directory; expected a file" : File.Exists(p) ? null : "not found");

    /// <summary>Every value an existing regular file.</summary>
    public static Option<string[]> ExistingFiles(this Option<string[]> option) =>
        option.Check(v => (v ?? []).Select(p => Directory.Exists(p) ? $"{p} is a directory; expected a file" : File.Exists(p) ? null : $"{p} not found").FirstOrDefault(x => x is not null));

    /// <summary>Every value an existing directory.</summary>
    public static Option<string[]> ExistingDirectories(this Option<string[]> option) =>
        option.Check(v => (v ?? []).Select(p => File.Exists(p) ? $"{p} is a file; expected a directory" : Directory.Exists(p) ? null : $"{p} not found").FirstOrDefault(x => x is not null));

    /// <summary>An existing directory (a file or a missing path is refused).</summary>
    public static Option<T> ExistingDirectory<T>(this Option<T> option) =>
        option.Check(v => PathOf(v) is not { } p ? null : File.Exists(p) ? "is a file; expected a directory" : Directory.Exists(p) ? null : "not found");

    /// <summary>A directory to write into: not an existing file, and creatable and writable where it will be.</summary>
    public static Option<T> OutputDirectory<T>(this Option<T> option) =>
        option.Check(v => PathOf(v) is not { } p ? null : File.Exists(p) ? "is an existing file; expected a directory" : Writable(p));

    /// <summary>A file to write: not an existing directory, in a place that can be created and written.</summary>
    public static Option<T> OutputFile<T>(this Option<T> option) =>
        option.Check(v => PathOf(v) is not { } p ? null
            : Directory.Exists(p) || p.EndsWith('/') ? "is a directory; expected a file path"
            : Writable(Path.GetDirectoryName(Path.GetFullPath(p)) ?? "/"));

    private static string? PathOf<T>(T value) => value switch
    {
        string s when s.Length > 0 => s,
        FileSystemInfo f => f.ToString(),
        string => "",
        _ => null,
    };

    /// <summary>
    /// Walks up to the nearest existing ancestor, which must be a directory where a file can be created. The probe
    /// (create and delete an empty file) is the only test that also holds for root, read-only mounts and ACLs.
    /// </summary>
    private static string? Writable(string path)
    {
        if (path.Length == 0) return "is empty; expected a path";
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return $"is not a valid path ({e.Message})"; }
        var dir = full;
        while (!Directory.Exists(dir))
        {
            if (File.Exists(dir)) return $"cannot be created: {dir} is a file";
            dir = Path.GetDirectoryName(dir);
            if (dir is null) return "cannot be created: no existing parent directory";
        }
        var probe = Path.Combine(dir, $".peterrec-write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"is not writable: cannot create files in {dir}";
        }
    }
}
