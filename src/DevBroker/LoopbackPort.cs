using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeterRec.DevBroker;

/// <summary>Loopback ports for the local servers we start (redis-server, role HTTP endpoints).</summary>
public static class LoopbackPort
{
    /// <summary>A port that was free a moment ago (the child binds it soon after).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Waits until a just-started server accepts connections; fails early if it exits.</summary>
    public static void WaitUntilAccepting(Process process, int port, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!Accepts(port))
        {
            if (process.HasExited) throw new InvalidOperationException($"{what} exited with code {process.ExitCode} before accepting on 127.0.0.1:{port}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"{what} did not accept connections on 127.0.0.1:{port} within {timeout.TotalSeconds:F0} s");
            Thread.Sleep(20);
        }
    }
}
