using System.Text.Json;
using PeterRec.Model.Data;
using PeterRec.Model.Training;

namespace PeterRec.Cli.Commands;

/// <summary>
/// The exit codes of every command (README "Exit codes"): 0 success; 1 a runtime failure (the arguments were valid but
/// the work failed: training diverged, an audit or benchmark failed, an unexpected error); 2 a usage error or bad input
/// (an invalid option, a missing or malformed file, an output path that cannot be written). Either failure prints one
/// line on stderr, never a stack trace (<c>PETERREC_TRACE=1</c> adds it, for bug reports).
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0, Failure = 1, Usage = 2;

    /// <summary>Bad input or arguments, found while working (a malformed row, a file that does not match its seal).</summary>
    public static bool IsUsageError(Exception e) =>
        e is CsvFormatException or InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException
            or InvalidOperationException or JsonException or UnauthorizedAccessException or Microsoft.Extensions.Options.OptionsValidationException
        && e is not TrainingDivergedException;

    /// <summary>Prints <paramref name="e"/> as one line and returns its exit code.</summary>
    public static int Report(Exception e, TextWriter error)
    {
        var usage = IsUsageError(e);
        var message = usage || e is TrainingDivergedException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        error.WriteLine($"error: {OneLine(message)}");
        if (Environment.GetEnvironmentVariable("PETERREC_TRACE") == "1") error.WriteLine(e);
        return usage ? Usage : Failure;
    }

    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
