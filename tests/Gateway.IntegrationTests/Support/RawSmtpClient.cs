using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A client that says exactly what the test says, byte for byte, and returns each reply as it came: for
/// asserting codes and for sending what a polite client never would (smuggling payloads, oversize data).
/// </summary>
internal sealed class RawSmtpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;
    private StreamReader _reader = null!;

    public string Greeting { get; private set; } = string.Empty;

    /// <param name="preamble">Bytes sent before the greeting is read (a load balancer's PROXY header).</param>
    public static async Task<RawSmtpClient> ConnectAsync(IPEndPoint endPoint, byte[]? preamble = null)
    {
        var client = new RawSmtpClient();
        await client._tcp.ConnectAsync(endPoint);
        client._stream = client._tcp.GetStream();
        client._reader = new StreamReader(client._stream, Encoding.Latin1);
        if (preamble is not null)
        {
            await client.SendRawAsync(preamble);
        }

        client.Greeting = await client.ReadReplyAsync();
        return client;
    }

    /// <summary>
    /// Connects until the greeting starts with <paramref name="prefix"/> (a refusal that begins a moment
    /// after a signal or a shutdown call), returning that greeting; the last one seen if it never came.
    /// </summary>
    public static async Task<string> GreetingWhenAsync(IPEndPoint endPoint, string prefix, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        var greeting = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var client = await ConnectAsync(endPoint);
                greeting = client.Greeting;
            }
            catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException)
            {
                greeting = exception.Message;
            }

            if (greeting.StartsWith(prefix, StringComparison.Ordinal))
            {
                return greeting;
            }

            await Task.Delay(50);
        }

        return greeting;
    }

    /// <summary>What the server says until it closes the connection (for refusals that end the session).</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            return await _reader.ReadToEndAsync(timeout.Token);
        }
        catch (IOException)
        {
            return string.Empty; // reset rather than closed: nothing more was said
        }
    }

    /// <summary>Sends one command line and returns the whole (possibly multi-line) reply.</summary>
    public async Task<string> CommandAsync(string line)
    {
        await SendRawAsync(Encoding.Latin1.GetBytes(line + "\r\n"));
        return await ReadReplyAsync();
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        await _stream.WriteAsync(bytes);
        await _stream.FlushAsync();
    }

    public async Task<string> ReadReplyAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token) ?? throw new IOException("connection closed; replies so far: " + string.Join(" | ", lines));
            lines.Add(line);
            if (line.Length < 4 || line[3] == ' ')
            {
                return string.Join("\n", lines);
            }
        }
    }

    /// <summary>EHLO, MAIL, RCPT..., returning the RCPT replies.</summary>
    public async Task<IReadOnlyList<string>> EnvelopeAsync(string from, params string[] recipients)
    {
        Assert.StartsWith("250", await CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        Assert.StartsWith("250", await CommandAsync($"MAIL FROM:<{from}>"), StringComparison.Ordinal);
        var replies = new List<string>();
        foreach (var recipient in recipients)
        {
            replies.Add(await CommandAsync($"RCPT TO:<{recipient}>"));
        }

        return replies;
    }

    /// <summary>DATA, the payload as given (it must carry its own CRLF.CRLF), then the final reply.</summary>
    public async Task<string> DataAsync(byte[] payloadWithTerminator)
    {
        var go = await CommandAsync("DATA");
        Assert.StartsWith("354", go, StringComparison.Ordinal);
        await SendRawAsync(payloadWithTerminator);
        return await ReadReplyAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await SendRawAsync("QUIT\r\n"u8.ToArray());
        }
        catch (IOException)
        {
            // Already closed by the server.
        }

        _reader.Dispose();
        _tcp.Dispose();
    }
}
