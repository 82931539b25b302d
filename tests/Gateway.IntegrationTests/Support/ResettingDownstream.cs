using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A downstream that speaks just enough SMTP to take the envelope and start DATA, then resets the
/// connection after the first data it reads: the mid-DATA crash of a real mail server.
/// </summary>
internal sealed class ResettingDownstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private ResettingDownstream()
    {
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        _loop = Task.Run(LoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Sessions that reached DATA and were cut.</summary>
    public int Resets { get; private set; }

    public static ResettingDownstream Start() => new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            client.LingerState = new LingerOption(true, 0); // close = RST, as a crash looks
            var stream = client.GetStream();
            using var reader = new StreamReader(stream, Encoding.ASCII);
            await WriteAsync(stream, "220 resetting.test ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                var verb = line.Split(' ')[0].ToUpperInvariant();
                if (verb == "DATA")
                {
                    await WriteAsync(stream, "354 go ahead");
                    await reader.ReadLineAsync(_stop.Token);
                    Resets++;
                    break;
                }

                await WriteAsync(stream, verb == "QUIT" ? "221 bye" : "250 ok");
            }
        }
    }

    private static async Task WriteAsync(Stream stream, string line) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
}
