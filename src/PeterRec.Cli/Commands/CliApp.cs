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
        return root;
    }
}
