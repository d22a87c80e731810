using System.Diagnostics;

namespace PeterRec.DevBroker;

/// <summary>
/// A private, throw-away <c>redis-server</c> on a free loopback port (no persistence), stopped by its own pid.
/// For tests and benchmarks on machines without a shared Redis.
/// </summary>
public sealed class LocalRedisServer : IDisposable
{
    private readonly Process _process;

    private LocalRedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string, e.g. <c>127.0.0.1:6391</c>.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    /// <param name="port">A port to reuse (e.g. to restart an empty server where a test's clients reconnect); null = a free one.</param>
    public static LocalRedisServer Start(string executable = "redis-server", TimeSpan? startTimeout = null, int? port = null)
    {
        var listen = port ?? LoopbackPort.Free();
        var psi = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", listen.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" })
            psi.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {executable}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"could not start '{executable}' ({e.Message}); install Debian's redis-server", e);
        }
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new LocalRedisServer(process, listen);
        try
        {
            LoopbackPort.WaitUntilAccepting(process, listen, startTimeout ?? TimeSpan.FromSeconds(10), "redis-server");
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
