using PeterRec.Cli.Commands;

return await CliApp.RunAsync(args);
