using System.CommandLine;

namespace PeterRec.Cli.Commands;

/// <summary>The `peterrec` command tree; each subcommand lives in its own file.</summary>
public static class CliApp
{
    public static RootCommand Build()
    {
        var root = new RootCommand("PeterRec Stream: pretrain a NextItNet backbone, fine-tune model patches, stream online.");
        root.Subcommands.Add(GenDataCommand.Create());
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(FineTuneCommand.Create());
        root.Subcommands.Add(InspectEventsCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DevBrokerCommand.Create());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(ProduceCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(RecsCommand.Create());
        root.Subcommands.Add(PatchCommand.Create());
        root.Subcommands.Add(BenchPipelineCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ChaosCommand.Create());
        foreach (var command in root.Subcommands) RefuseNonFiniteNumbers(command);
        return root;
    }

    /// <summary>
    /// Parses and runs a command line. Parse and validation errors are usage errors: one line on stderr, exit 2, before
    /// any work. Exceptions that escape an action are reported as one line too (<see cref="ExitCodes"/>).
    /// <paramref name="config"/> redirects what the parser and the actions that honour it write (tests).
    /// </summary>
    public static async Task<int> RunAsync(string[] args, InvocationConfiguration? config = null, CancellationToken ct = default)
    {
        config ??= new InvocationConfiguration();
        config.EnableDefaultExceptionHandler = false;
        var error = config.Error;
        ParseResult parse;
        try { parse = Build().Parse(args); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ExitCodes.Report(e, error); // a check that threw: still one line
        }
        if (parse.Errors.Count > 0)
        {
            var command = parse.CommandResult.Command;
            var help = command is RootCommand ? "peterrec --help" : $"peterrec {command.Name} --help";
            await error.WriteLineAsync($"error: {ExitCodes.OneLine(string.Join("; ", parse.Errors.Select(e => e.Message).Distinct()))} (see {help})");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(config, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ExitCodes.Report(e, error);
        }
    }

    /// <summary><see cref="RunAsync"/>, waited for.</summary>
    public static int Run(string[] args, InvocationConfiguration? config = null) => RunAsync(args, config).GetAwaiter().GetResult();

    /// <summary>No number option of any command means anything as NaN or an infinity: refused everywhere, new commands included.</summary>
    private static void RefuseNonFiniteNumbers(Command command)
    {
        foreach (var option in command.Options)
        {
            if (option is Option<double> or Option<double?>)
                option.Validators.Add(r =>
                {
                    var text = string.Join(' ', r.Tokens.Select(t => t.Value));
                    if (double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var v) && !double.IsFinite(v))
                        r.AddError($"{option.Name} '{text}': expected a finite number");
                });
        }
        foreach (var sub in command.Subcommands) RefuseNonFiniteNumbers(sub);
    }
}
