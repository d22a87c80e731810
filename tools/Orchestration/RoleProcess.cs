using System.Diagnostics;

namespace PeterRec.Orchestration;

/// <summary>
/// A child process of this same binary (<c>peterrec &lt;role&gt; ...</c>), its stdout and stderr appended to a log file.
/// Stopped with SIGTERM (the roles close their consumers and commit), then killed after a timeout.
/// </summary>
public sealed class RoleProcess : IDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private RoleProcess(string name, Process process, StreamWriter log, string logPath, int? httpPort)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
        HttpPort = httpPort;
    }

    public string Name { get; }

    public string LogPath { get; }

    /// <summary>The role's /healthz, /readyz, /metrics port, if it has one.</summary>
    public int? HttpPort { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public int Pid => _process.Id;

    /// <param name="niceness">When set, the role runs under <c>nice -n</c> this (a lower CPU priority; every thread it
    /// starts inherits it), so that on a shared machine it yields the cores to the latency-bound roles.</param>
    public static RoleProcess Start(string name, IReadOnlyList<string> args, string logDir, int? httpPort = null,
        IReadOnlyDictionary<string, string>? environment = null, int? niceness = null)
    {
        Directory.CreateDirectory(logDir);
        var (exe, prefix) = Self();
        // nice execs the role, so the pid (and kill -9 in chaos runs) is still the role's own.
        var psi = new ProcessStartInfo(niceness is null ? exe : "nice")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        if (niceness is { } n) foreach (var a in (string[])["-n", $"{n}", exe]) psi.ArgumentList.Add(a);
        foreach (var a in prefix.Concat(args)) psi.ArgumentList.Add(a);
        if (httpPort is { } port) { psi.ArgumentList.Add("--http-port"); psi.ArgumentList.Add(port.ToString()); }
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var logPath = Path.Combine(logDir, $"{name}.log");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        log.WriteLine($"# {DateTime.Now:O} {psi.FileName} {string.Join(' ', psi.ArgumentList)}");
        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {name}");
        void Append(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            try
            {
                lock (log) log.WriteLine(e.Data);
            }
            catch (ObjectDisposedException)
            {
                // A last line after Dispose: the run is over.
            }
        }
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new RoleProcess(name, process, log, logPath, httpPort);
    }

    /// <summary>Environment variable naming the <c>peterrec</c> binary (<c>peterrec.dll</c> or the apphost) to run roles from.</summary>
    public const string BinaryVariable = "PETERREC_BIN";

    /// <summary>
    /// How to start the <c>peterrec</c> binary: <see cref="BinaryVariable"/> when set (tests point it at the CLI's build
    /// output), else this process's own (the CLI running a harness): the apphost if we run from it, else
    /// <c>dotnet peterrec.dll</c> with the host that runs us, so the same runtime.
    /// </summary>
    public static (string Exe, string[] Prefix) Self()
    {
        var configured = Environment.GetEnvironmentVariable(BinaryVariable);
        var binary = string.IsNullOrEmpty(configured) ? Path.Combine(AppContext.BaseDirectory, "peterrec.dll") : Path.GetFullPath(configured);
        if (!File.Exists(binary))
            throw new InvalidOperationException($"cannot find {binary} to start the roles from (set {BinaryVariable} to the peterrec binary)");
        if (!binary.EndsWith(".dll", StringComparison.Ordinal)) return (binary, []);
        var host = Environment.ProcessPath;
        var hostName = host is null ? "" : Path.GetFileNameWithoutExtension(host);
        if (string.IsNullOrEmpty(configured) && hostName == "peterrec") return (host!, []);
        return (hostName == "dotnet" ? host! : "dotnet", [binary]);
    }

    /// <summary>The exit code, or -1 on timeout; <paramref name="ct"/> cancels the wait (the caller stops the process).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return -1;
        }
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL. Returns the exit code (137 if killed).</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return _process.ExitCode;
        Posix.Terminate(_process.Id);
        if (await WaitForExitAsync(grace) is var code && code != -1) return code;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        return 137;
    }

    /// <summary>The last lines of the log, for error messages.</summary>
    public string Tail(int lines = 15)
    {
        lock (_log) _log.Flush();
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); }
            catch (InvalidOperationException) { }
        }
        _process.Dispose();
        lock (_log) _log.Dispose();
    }
}
