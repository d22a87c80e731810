using System.Text;
using System.Text.RegularExpressions;
using PeterRec.Deploy.Tests.Infrastructure;
using Xunit.Abstractions;

namespace PeterRec.Deploy.Tests.Chart;

/// <summary>The commands in deploy/README.md run as written, from the repository root.</summary>
public sealed partial class DeployReadmeTests(ITestOutputHelper output)
{
    /// <summary>Programs the tests cannot run here, with the reason (said in the README too).</summary>
    private static readonly Dictionary<string, string> NotRun = new(StringComparer.Ordinal)
    {
        ["docker"] = "no container engine on the project's machines",
        ["dotnet"] = "dotnet publish takes minutes and 0.6 GB; run by hand",
    };

    [Fact]
    public void Every_helm_and_promtool_command_runs_as_written()
    {
        var commands = Commands(File.ReadAllText(Path.Combine(Repo.Root, "deploy", "README.md")));
        Assert.Contains(commands, c => c is ["helm", "install", ..]);
        Assert.Contains(commands, c => c is ["promtool", "test", ..]);
        using var api = new KubeApiDiscovery();
        var ran = 0;
        foreach (var words in commands)
        {
            var line = string.Join(' ', words);
            if (NotRun.TryGetValue(words[0], out var why)) { output.WriteLine($"not run ({why}): {line}"); continue; }
            var args = words.Skip(1).ToList();
            var exe = words[0] switch
            {
                "helm" => Tools.Helm,
                "promtool" => Tools.Promtool,
                var other => throw new InvalidOperationException($"deploy/README.md runs {other}, which this test does not know how to run: {line}"),
            };
            // Against a cluster these would install; here they are client-side dry runs against the discovery API.
            if (words[0] == "helm" && args[0] is "install" or "upgrade")
                args.AddRange(["--dry-run=client", "--disable-openapi-validation", "--kube-apiserver", api.Url]);
            var result = Cli.Run(exe, args);
            Assert.True(result.ExitCode == 0, $"deploy/README.md: `{line}` exited {result.ExitCode}:\n{result.Stderr}\n{result.Stdout}");
            output.WriteLine($"ran: {line}");
            ran++;
        }
        Assert.True(ran >= 6, $"only {ran} commands ran");
    }

    [Fact]
    public void Command_parser_joins_continuations_and_honours_quotes()
    {
        var md = "text\n```sh\nhelm a \\\n  --set 'x=a b' \"y=c d\"  # comment\npromtool check rules f.yaml\n```\n```text\nnot a command\n```\n";
        Assert.Equal([["helm", "a", "--set", "x=a b", "y=c d"], ["promtool", "check", "rules", "f.yaml"]], Commands(md));
    }

    /// <summary>The commands of the ```sh blocks, split into words as a POSIX shell would (quotes, \ continuations, # comments).</summary>
    internal static List<string[]> Commands(string markdown)
    {
        var commands = new List<string[]>();
        foreach (Match block in ShellBlock().Matches(markdown))
        {
            var text = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            foreach (var line in text.Split('\n'))
                if (Words(line) is { Count: > 0 } words) commands.Add([.. words]);
        }
        return commands;
    }

    private static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c is '\'' or '"')
            {
                var end = line.IndexOf(c, i + 1);
                if (end < 0) throw new InvalidDataException($"unbalanced {c} in: {line}");
                word.Append(line, i + 1, end - i - 1);
                inWord = true;
                i = end;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
            }
            else if (c == '#' && !inWord) break;
            else if (c is '|' or ';' or '&' or '>' or '<' or '$' or '`')
                throw new InvalidDataException($"shell syntax '{c}' is not supported by this runner (keep README commands plain): {line}");
            else { word.Append(c); inWord = true; }
        }
        if (inWord) words.Add(word.ToString());
        return words;
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
