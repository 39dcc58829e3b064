using System.Net;
using System.Net.Sockets;

namespace TinyImage.Tests.Registry;

/// <summary>Free TCP ports on 127.0.0.1 for the servers a test starts.</summary>
public static class LoopbackPort
{
    /// <summary>A port nothing listens on right now (the kernel picks it; a rare race with another process is retried by the callers).</summary>
    public static int Free()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
