using System.CommandLine;
using PeterRec.Cli.Commands;
using PeterRec.Model.Data;
using PeterRec.Model.Model;
using PeterRec.Model.Storage;
using PeterRec.Model.Tests.Data;
using PeterRec.Model.Tests.Model;

namespace PeterRec.Model.Tests.Cli;

/// <summary>
/// Every command of <c>peterrec</c> (walked from the root, so a new command is covered as soon as it is added) refuses
/// hostile arguments before any work: exit code 2, one line on stderr naming what is wrong, no stack trace. Commands
/// run in-process (<see cref="CliApp.RunAsync"/>), with the console captured, hence the non-parallel collection.
/// </summary>
[Collection(ConsoleCapture.Name)]
public sealed class HostileArgumentTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _backbone, _task, _recCsv, _pretrainCsv, _eventsCsv, _file, _folder;

    public HostileArgumentTests()
    {
        _backbone = TinyModels.SaveBackbone(_dir.File("backbone"), TinyModels.Config());
        _task = _dir.File("task");
        using (var model = new PeterRecModel(TinyModels.Config(), FineTuneMode.PeterRecSerial, 9, 2))
        {
            ModelStore.LoadBackboneWeights(_backbone, model.Backbone);
            var manifest = new TaskManifest { Task = "rec", Mode = "peterrec-serial", Targets = 9, PatchHidden = 2, BackboneFingerprint = ModelStore.Fingerprint(_backbone) };
            ModelStore.SaveTask(_task, model, manifest, Vocabulary.Build(Enumerable.Range(0, 9).Select(i => $"t{i}"), []));
        }
        _recCsv = _dir.Write("rec.csv", string.Concat(Enumerable.Range(0, 12).Select(i => $"s{i},s{i + 1},s{i + 2},,t{i % 9}\n")));
        _pretrainCsv = PeterRecProcess.PretrainCsv(_dir.File("pretrain.csv"));
        _eventsCsv = _dir.Write("events.csv", "user,item,ts\nu1,i1,1000\nu1,i2,2000\n");
        _file = _dir.Write("a-file.txt", "not a directory\n");
        _folder = Directory.CreateDirectory(_dir.File("a-folder")).FullName;
    }

    /// <summary>Arguments that make each command valid, so that the hostile argument is the only thing wrong.</summary>
    private Dictionary<string, string[]> Valid() => new()
    {
        ["gen-data"] = ["--out", _dir.File("gen")],
        ["pretrain"] = ["--data", _pretrainCsv, "--out", _dir.File("new-backbone")],
        ["finetune"] = ["--backbone", _backbone, "--data", _recCsv, "--out", _dir.File("new-task")],
        ["inspect-events"] = ["--events", _eventsCsv],
        ["evaluate"] = ["--backbone", _backbone, "--task-dir", _task, "--data", _recCsv],
        ["convert"] = ["--backbone", _backbone],
        ["bench"] = [],
        ["dev-broker"] = [],
        ["ingest"] = [],
        ["produce"] = ["--synthetic", "1"],
        ["train"] = ["--backbone", _backbone],
        ["serve"] = ["--backbone", _backbone, "--tasks", "rec"],
        ["recs"] = ["u1"],
        ["bench-pipeline"] = [],
        ["run"] = [],
        ["chaos"] = [],
        ["patch list"] = ["--task", "rec"],
        ["patch rollback"] = ["--task", "rec", "--to", "1"],
    };

    /// <summary>Hostile values by option name, tried on every command that has the option ("command --option": that command only).</summary>
    private Dictionary<string, string[][]> HostileValues() => new()
    {
        ["--data"] = [[_folder], [_dir.File("missing.csv")]],
        ["--events"] = [[_folder]],
        ["--labels"] = [[_folder]],
        ["--out"] = [[_file], ["/proc/peterrec-not-writable"], [Path.Combine(_file, "under-a-file")]],
        ["--report"] = [[_folder]],
        ["--summary"] = [[_folder]],
        ["--bootstrap-file"] = [[_folder]],
        ["dev-broker --topics"] = [["bad topic"]],
        ["--backbone"] = [[_file], [_dir.File("no-backbone")]],
        ["--task-dir"] = [[_file]],
        ["--checkpoint"] = [[_folder]],
        ["--work-dir"] = [[_file]],
        ["--checkpoint-dir"] = [[_file]],
        ["--emb"] = [["0"], ["-1"]],
        ["--channels"] = [["0"]],
        ["--kernel"] = [["0"]],
        ["--dilations"] = [["1,,2"], ["1,0"], ["x"]],
        ["--seq"] = [["-1"]],
        ["--epochs"] = [["0"]],
        ["--batch"] = [["0"]],
        ["--lr"] = [["0"], ["-1"]],
        ["--patience"] = [["0"]],
        ["--patch-size"] = [["-1"]],
        ["--patch-hidden"] = [["-1"]],
        ["--negatives"] = [["-1"], ["0"]],
        ["--test-fraction"] = [["0"], ["1"]],
        ["--valid-fraction"] = [["-0.1"], ["1"]],
        ["--sample-fraction"] = [["0"], ["1.5"]],
        ["--threads"] = [["-1"]],
        ["--role-threads"] = [["-1"]],
        ["--device"] = [["tpu"]],
        ["--loss"] = [["hinge"]],
        ["--mode"] = [["no-such-mode"]],
        ["--stage"] = [["no-such-stage"]],
        ["--roles"] = [["ingest,nope"]],
        ["--until"] = [["yesterday"]],
        ["--min-item-count"] = [["-1"]],
        ["--min-user-length"] = [["-1"]],
        ["--max-length"] = [["-1"]],
        ["--http-port"] = [["70000"], ["-1"]],
        ["--window-size"] = [["0"]],
        ["--partitions"] = [["0"]],
        ["--brokers"] = [["0"]],
        ["--session-timeout-ms"] = [["0"]],
        ["--top-n"] = [["0"]],
        ["--recs-ttl"] = [["-1"]],
        ["--micro-batch"] = [["0"]],
        ["--max-targets"] = [["0"]],
        ["--publish-every-steps"] = [["0"]],
        ["--publish-every-seconds"] = [["-1"]],
        ["--prequential-window"] = [["0"]],
        ["--rate"] = [["-1"]],
        ["--max-events"] = [["-1"]],
        ["--steps"] = [["0"]],
        ["--warmup"] = [["-1"]],
        ["--items"] = [["0"]],
        ["--targets"] = [["0"]],
        ["--length"] = [["0"]],
        ["--synthetic"] = [["0"]],
        ["--runs"] = [["0"]],
        ["--users"] = [["-1"]],
        ["--pretrain-users"] = [["0"]],
        ["--finetune-users"] = [["0"]],
        ["--stream-users"] = [["0"]],
        ["gen-data --topics"] = [["1"]],
        ["--chain-prob"] = [["1.5"]],
        ["--seconds"] = [["0"]],
        ["--kills"] = [["-1"]],
        ["--redis-outage-seconds"] = [["-1"]],
        ["--poison-every"] = [["-1"]],
        ["--drain-seconds"] = [["0"]],
        ["--drain-timeout"] = [["0"]],
        ["--soak-seconds"] = [["-1"]],
        ["--replicas"] = [["0"]],
    };

    /// <summary>Every command that runs: top-level commands, and the subcommands of a group (<c>patch list</c>).</summary>
    private static IEnumerable<(string Name, Command Command)> Leaves() =>
        CliApp.Build().Subcommands.SelectMany(c => c.Subcommands.Count == 0
            ? [(c.Name, c)]
            : c.Subcommands.Select(s => ($"{c.Name} {s.Name}", s)));

    /// <summary>Whole command lines whose problem is found while loading files (not by the parser): still exit 2, one line.</summary>
    private IEnumerable<(string[] Args, string Expect)> HostileFiles()
    {
        var badTask = CopyDir(_task, "bad-task");
        File.WriteAllText(Path.Combine(badTask, ModelStore.ManifestFile), "{\"task\": \"rec\", \"mode\": ");
        var badConfig = CopyDir(_backbone, "bad-config");
        File.WriteAllText(Path.Combine(badConfig, ModelStore.ConfigFile), "[1, 2");
        var typo = CopyDir(_task, "typo-task");
        File.WriteAllText(Path.Combine(typo, ModelStore.ManifestFile), "{\"task\": 7}");
        yield return (["evaluate", "--backbone", _backbone, "--task-dir", badTask, "--data", _recCsv], "task.json");
        yield return (["evaluate", "--backbone", _backbone, "--task-dir", typo, "--data", _recCsv], "task.json");
        yield return (["evaluate", "--backbone", badConfig, "--task-dir", _task, "--data", _recCsv], "config.json");
        yield return (["finetune", "--backbone", badConfig, "--data", _recCsv, "--out", _dir.File("t2")], "config.json");
        yield return (["finetune", "--backbone", _backbone, "--data", _recCsv, "--out", _backbone], "backbone directory");
        yield return (["pretrain", "--data", _pretrainCsv, "--out", _backbone], "--force");
        var empty = _dir.Write("empty.csv", "");
        var unknown = _dir.Write("unknown-targets.csv", "s1,s2,,never-seen\ns2,s3,,nor-this\n");
        yield return (["evaluate", "--backbone", _backbone, "--task-dir", _task, "--data", empty], "nothing to score");
        yield return (["evaluate", "--backbone", _backbone, "--task-dir", _task, "--data", unknown], "nothing to score");
        yield return (["recs"], "recs");
        yield return ([], "command");
    }

    private string CopyDir(string from, string name)
    {
        var to = Directory.CreateDirectory(_dir.File(name)).FullName;
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        return to;
    }

    /// <summary>Every hostile case: generic ones derived from each option's type, then the tables.</summary>
    private IEnumerable<(string[] Args, string Expect)> Cases()
    {
        var valid = Valid();
        var hostile = HostileValues();
        foreach (var (name, command) in Leaves())
        {
            var path = name.Split(' ');
            var baseArgs = valid[name];
            // Before the options (one that takes several values would swallow it), after the arguments (it would be read as one).
            yield return (command.Arguments.Count > 0 ? [.. path, .. baseArgs, "--no-such-option"] : [.. path, "--no-such-option", .. baseArgs], "--no-such-option");
            foreach (var option in command.Options.Where(o => !o.Name.StartsWith("--help", StringComparison.Ordinal) && o.Name != "-h"))
            {
                var values = new List<string[]>();
                var type = option.ValueType;
                if (type == typeof(int) || type == typeof(int?) || type == typeof(long) || type == typeof(long?)) values.AddRange([["x"], ["99999999999999999999"]]);
                if (type == typeof(double) || type == typeof(double?)) values.AddRange([["NaN"], ["Infinity"], ["x"]]);
                if (hostile.TryGetValue($"{name} {option.Name}", out var own) || hostile.TryGetValue(option.Name, out own)) values.AddRange(own);
                var without = WithoutOption(baseArgs, option.Name);
                foreach (var v in values) yield return ([.. path, .. without, option.Name, .. v], option.Name);
                if (type != typeof(bool)) yield return ([.. path, .. without, option.Name], option.Name); // the value is missing
            }
        }
        foreach (var c in HostileFiles()) yield return c;
    }

    private static string[] WithoutOption(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i < 0 ? args : [.. args[..i], .. args[(i + 2)..]];
    }

    [Fact]
    public async Task Every_command_refuses_hostile_arguments_with_exit_code_2_and_one_line_without_a_stack_trace()
    {
        var failures = new List<string>();
        int count = 0;
        foreach (var (args, expect) in Cases())
        {
            count++;
            // Every case fails while parsing or loading (milliseconds); the timeout only bounds a case whose arguments were accepted.
            var (code, stdout, stderr) = await ConsoleCapture.RunAsync(args, TimeSpan.FromSeconds(20));
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            string? problem =
                code != 2 ? $"exit code {code}" :
                lines.Length != 1 ? $"{lines.Length} lines on stderr" :
                stderr.Contains("   at ", StringComparison.Ordinal) ? "a stack trace" :
                !lines[0].Contains(expect, StringComparison.Ordinal) ? $"a message not naming '{expect}'" :
                null;
            if (problem is not null)
                failures.Add($"peterrec {string.Join(' ', args)}: {problem}; stderr: {stderr.Trim()} stdout: {Truncate(stdout)}");
        }
        Assert.True(count > 300, $"only {count} hostile command lines");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} hostile command lines not refused cleanly:\n{string.Join('\n', failures)}");
    }

    [Fact]
    public void Every_command_and_every_hostile_option_in_the_table_exists()
    {
        var commands = Leaves().ToList();
        var valid = Valid();
        var missing = commands.Select(c => c.Name).Where(n => !valid.ContainsKey(n)).ToList();
        Assert.True(missing.Count == 0, $"add valid arguments for {string.Join(", ", missing)} to HostileArgumentTests.Valid()");
        var options = commands.SelectMany(c => c.Command.Options).Select(o => o.Name).ToHashSet();
        var named = commands.SelectMany(c => c.Command.Options.Select(o => $"{c.Name} {o.Name}")).ToHashSet();
        var stale = HostileValues().Keys.Where(n => !options.Contains(n) && !named.Contains(n)).ToList();
        Assert.True(stale.Count == 0, $"no command has {string.Join(", ", stale)}");
    }

    [Fact]
    public async Task The_valid_arguments_of_the_table_parse_cleanly()
    {
        // The hostile cases mean something only if the base lines are accepted: --help with them exits 0.
        foreach (var (name, args) in Valid())
        {
            var (code, _, stderr) = await ConsoleCapture.RunAsync([.. name.Split(' '), .. args, "--help"], TimeSpan.FromSeconds(30));
            Assert.True(code == 0, $"peterrec {name} {string.Join(' ', args)} --help: exit {code}: {stderr}");
        }
    }

    private static string Truncate(string s) => s.Length > 200 ? s[..200] + "..." : s.Trim();

    public void Dispose() => _dir.Dispose();
}

/// <summary>Runs <c>peterrec</c> in-process with stdout and stderr captured; tests using it must not run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCapture
{
    public const string Name = "console capture";

    public static async Task<(int Code, string Out, string Err)> RunAsync(string[] args, TimeSpan timeout)
    {
        var (stdout, stderr) = (Console.Out, Console.Error);
        using var o = new StringWriter();
        using var e = new StringWriter();
        using var cts = new CancellationTokenSource(timeout);
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            var code = await CliApp.RunAsync(args, new InvocationConfiguration { Output = o, Error = e }, cts.Token);
            return (code, o.ToString(), e.ToString());
        }
        catch (OperationCanceledException)
        {
            return (-1, o.ToString(), e + $"\n(still running after {timeout.TotalSeconds} s: the arguments were accepted)");
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}
