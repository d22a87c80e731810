using PeterRec.Model.Data;

namespace PeterRec.Cli.Commands;

/// <summary>Turns expected user errors (bad input, missing files, bad options) into one clear line and exit code 2.</summary>
public static class CommandGuard
{
    public static int Run(Func<int> action)
    {
        try { return action(); }
        catch (Exception e) when (e is CsvFormatException or InvalidDataException or ArgumentException or FileNotFoundException
                                   or DirectoryNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
    }

    /// <summary>0 = every core; otherwise libtorch's intra-op thread count.</summary>
    public static void SetThreads(int threads)
    {
        if (threads > 0) TorchSharp.torch.set_num_threads(threads);
    }
}
