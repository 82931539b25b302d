using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A hand-scripted peer on a loopback port, for downstreams that must behave in ways a real server does
/// not: it takes one connection at a time and hands it to <see cref="ServeAsync"/> until disposed.
/// </summary>
internal abstract class LoopbackTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    protected LoopbackTcpServer()
    {
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
    }

    public IPEndPoint EndPoint { get; }

    protected CancellationToken Stopping => _stop.Token;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Starts taking connections; a subclass calls it once it is fully built.</summary>
    protected void Listen() => _loop = Task.Run(LoopAsync);

    /// <summary>One connection, from the greeting on; the connection closes when this returns.</summary>
    protected abstract Task ServeAsync(TcpClient client);

    protected static async Task WriteAsync(Stream stream, string lines) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(lines + "\r\n"));

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            try
            {
                await ServeAsync(client);
            }
            catch (IOException)
            {
                // The gateway hung up; take the next connection.
            }
        }
    }
}
