using PeterRec.Cli.Commands;

return CliApp.Build().Parse(args).Invoke();
