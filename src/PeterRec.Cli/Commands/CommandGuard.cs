namespace PeterRec.Cli.Commands;

/// <summary>Turns expected errors into one clear line and an exit code (<see cref="ExitCodes"/>) inside a command's action.</summary>
public static class CommandGuard
{
    public static int Run(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return ExitCodes.Report(e, Console.Error);
        }
    }

    /// <summary>0 = every core; otherwise libtorch's intra-op thread count.</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
    }
}
