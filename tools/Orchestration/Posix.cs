using System.Runtime.InteropServices;

namespace PeterRec.Orchestration;

/// <summary>Signals by pid. .NET's <c>Process.Kill</c> only sends SIGKILL; a graceful stop needs SIGTERM.</summary>
public static class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>True if the signal was delivered (false: no such process or not ours).</summary>
    public static bool Terminate(int pid) => pid > 0 && Kill(pid, SigTerm) == 0;

    /// <summary>SIGKILL: no handler runs, nothing is flushed or committed (a crash, as far as the process can tell).</summary>
    public static bool KillHard(int pid) => pid > 0 && Kill(pid, SigKill) == 0;

    /// <summary>Signal 0 probes for existence without touching the process.</summary>
    public static bool IsAlive(int pid) => pid > 0 && Kill(pid, 0) == 0;
}
