using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

internal static class FreePort
{
    /// <summary>A loopback port nobody listens on right now (for external programs that cannot bind port 0 and tell us).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A loopback port free for UDP right now (and so a good guess for a server on UDP and TCP).</summary>
    public static int NextUdp()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }

    /// <summary>
    /// Starts a server on a port of its own choosing, again on another if the chosen one was taken in
    /// between (<paramref name="portTaken"/> recognises that failure): a free port is only a guess.
    /// </summary>
    public static async Task<T> RetryIfTakenAsync<T>(Func<Task<T>> start, Func<Exception, bool> portTaken, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (Exception exception) when (attempt < attempts && portTaken(exception))
            {
            }
        }
    }

    /// <param name="gaveUp">True when whatever should listen there has died: stop waiting at once.</param>
    public static async Task WaitUntilListeningAsync(int port, TimeSpan timeout, Func<bool>? gaveUp = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && gaveUp?.Invoke() != true)
            {
                await Task.Delay(50);
            }
        }
    }
}
