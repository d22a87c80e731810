using System.Net;
using System.Net.Sockets;

namespace PeterRec.Cli.Orchestration;

internal static class FreePort
{
    /// <summary>A loopback port that was free a moment ago (the child binds it soon after).</summary>
    public static int Next()
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
}
