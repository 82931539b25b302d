using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A downstream that speaks just enough SMTP to take the envelope and start DATA, then resets the
/// connection after the first data it reads: the mid-DATA crash of a real mail server.
/// </summary>
internal sealed class ResettingDownstream : LoopbackTcpServer
{
    private ResettingDownstream()
    {
    }

    /// <summary>Sessions that reached DATA and were cut.</summary>
    public int Resets { get; private set; }

    public static ResettingDownstream Start()
    {
        var downstream = new ResettingDownstream();
        downstream.Listen();
        return downstream;
    }

    protected override async Task ServeAsync(TcpClient client)
    {
        client.LingerState = new LingerOption(true, 0); // close = RST, as a crash looks
        var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await WriteAsync(stream, "220 resetting.test ESMTP");
        while (await reader.ReadLineAsync(Stopping) is { } line)
        {
            var verb = line.Split(' ')[0].ToUpperInvariant();
            if (verb == "DATA")
            {
                await WriteAsync(stream, "354 go ahead");
                await reader.ReadLineAsync(Stopping);
                Resets++;
                return;
            }

            await WriteAsync(stream, verb == "QUIT" ? "221 bye" : "250 ok");
        }
    }
}
