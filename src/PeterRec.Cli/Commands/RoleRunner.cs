using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace PeterRec.Cli.Commands;

/// <summary>Runs a role's host until SIGINT/SIGTERM; invalid options end it with a clear message and exit code 2.</summary>
internal static class RoleRunner
{
    public static async Task<int> RunAsync(WebApplication app, CancellationToken ct)
    {
        try
        {
            await Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.RunAsync(app, ct);
            return Environment.ExitCode;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"invalid configuration: {string.Join("; ", e.Failures)}");
            return 2;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
