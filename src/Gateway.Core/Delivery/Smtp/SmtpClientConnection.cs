using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Gateway.Core.Configuration;

namespace Gateway.Core.Delivery.Smtp;

/// <summary>
/// One SMTP client connection to the downstream server. Hand-written on purpose: MailKit's SmtpClient
/// sends MAIL, RCPT and DATA in one call, but a before-queue proxy must mirror each RCPT while its own
/// client waits (recipient verification) and send DATA later, with the received bytes untouched.
/// It does one thing per call and throws on I/O failure; <see cref="SmtpDownstream"/> maps failures.
/// </summary>
public sealed class SmtpClientConnection : IAsyncDisposable
{
    private const int IpProtocolTcp = 6;
    private const int TcpQuickAck = 12;
    private static readonly byte[] QuickAckOn = BitConverter.GetBytes(1);

    /// <summary>Messages up to this size go out with their BDAT command in one write (one packet for most mail).</summary>
    private const int SingleWriteLimit = 64 * 1024;

    private readonly TcpClient _tcp;
    private readonly TimeSpan _timeout;
    private readonly bool _chunking;
    private readonly Network.ReusableTimeout _operationTimeout = new();
    private Stream _stream;
    private StreamReader _reader;

    private SmtpClientConnection(TcpClient tcp, TimeSpan timeout, bool chunking)
    {
        _tcp = tcp;
        _timeout = timeout;
        _chunking = chunking;
        _stream = tcp.GetStream();
        _reader = NewReader(_stream);
    }

    /// <summary>EHLO keywords (upper case) with their parameters, e.g. SIZE → 10240000.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; private set; } = new Dictionary<string, string>();

    public bool IsSecure => _stream is SslStream;

    /// <summary>False once the connection failed or the server said 421; such a connection is never reused.</summary>
    public bool IsUsable { get; private set; } = true;

    public static async Task<SmtpClientConnection> ConnectAsync(DownstreamServer server, string localName, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient { NoDelay = true };
        SmtpClientConnection? connection = null;
        try
        {
            using (var connectTimeout = Linked(cancellationToken, server.Timeout))
            {
                await tcp.ConnectAsync(server.Host, server.Port, connectTimeout.Token);
            }

            connection = new SmtpClientConnection(tcp, server.Timeout, server.Chunking);
            var greeting = await connection.ReadReplyAsync(server.Timeout, cancellationToken);
            if (greeting.Code != 220)
            {
                throw new DownstreamRefusedException(greeting);
            }

            await connection.HelloAsync(localName, cancellationToken);
            if (server.Tls != DownstreamTls.None && connection.Extensions.ContainsKey("STARTTLS"))
            {
                await connection.StartTlsAsync(server, localName, cancellationToken);
            }
            else if (server.Tls == DownstreamTls.Required)
            {
                throw new AuthenticationException($"{server.Name} does not offer STARTTLS, and downstream.tls is required");
            }

            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
            else
            {
                tcp.Dispose();
            }

            throw;
        }
    }

    /// <summary>Sends one command line and reads its reply.</summary>
    public async Task<DownstreamReply> CommandAsync(string line, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cancellationToken);
        return await ReadReplyAsync(_timeout, cancellationToken);
    }

    /// <summary>
    /// Two commands in one write (RFC 2920 PIPELINING: only when the server offers it) and their replies in
    /// order. The second reply is null when the first was 421: the server is closing and will not answer it.
    /// </summary>
    public async Task<(DownstreamReply First, DownstreamReply? Second)> PipelineAsync(string first, string second, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.UTF8.GetBytes(first + "\r\n" + second + "\r\n"), cancellationToken);
        var firstReply = await ReadReplyAsync(_timeout, cancellationToken);
        if (firstReply.Code == 421)
        {
            return (firstReply, null);
        }

        AcknowledgeNow();
        return (firstReply, await ReadReplyAsync(_timeout, cancellationToken));
    }

    /// <summary>
    /// Acknowledges what has arrived now instead of with the next command (Linux TCP_QUICKACK). A server
    /// that writes pipelined replies one at a time with Nagle's algorithm on holds the second reply until
    /// the first is acknowledged: up to 40 ms of delayed ACK per message, measured against such a server.
    /// </summary>
    private void AcknowledgeNow()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            _tcp.Client.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, QuickAckOn);
        }
        catch (Exception exception) when (exception is SocketException or ObjectDisposedException)
        {
            // Only a delay is at stake; the read that follows reports a broken connection.
        }
    }

    /// <summary>
    /// The message, with BDAT (RFC 3030) when the server offers CHUNKING and downstream.chunking is on,
    /// else with DATA; returns the final reply.
    /// </summary>
    public Task<DownstreamReply> SendMessageAsync(ReadOnlySequence<byte> message, CancellationToken cancellationToken) =>
        _chunking && Extensions.ContainsKey("CHUNKING") ? SendChunkAsync(message, cancellationToken) : SendDataAsync(message, cancellationToken);

    /// <summary>
    /// One BDAT LAST chunk: the message as it is, no dot-stuffing and no end marker, so no pass over its
    /// bytes and no 354 round trip. It must be in CRLF form already (the gateway normalises what it
    /// received); a message that is not (a file from elsewhere) is normalised first, as DATA would.
    /// </summary>
    private async Task<DownstreamReply> SendChunkAsync(ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        var body = SmtpDataEncoder.IsCanonical(message) ? message : new ReadOnlySequence<byte>(SmtpDataEncoder.Normalize(message));
        var command = Encoding.ASCII.GetBytes($"BDAT {body.Length} LAST\r\n");
        await WriteAsync(command.Length + body.Length, async (stream, token) =>
        {
            if (body.Length <= SingleWriteLimit)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(command.Length + (int)body.Length);
                try
                {
                    command.CopyTo(buffer, 0);
                    body.CopyTo(buffer.AsSpan(command.Length));
                    await stream.WriteAsync(buffer.AsMemory(0, command.Length + (int)body.Length), token);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                return;
            }

            await stream.WriteAsync(command, token);
            foreach (var block in body)
            {
                await stream.WriteAsync(block, token);
            }
        }, cancellationToken);

        // As for DATA's final reply (RFC 5321 4.5.3.2.6): four command timeouts.
        return await ReadReplyAsync(_timeout * 4, cancellationToken);
    }

    /// <summary>DATA, then the encoded message; returns the final reply (or the refusal of DATA itself).</summary>
    private async Task<DownstreamReply> SendDataAsync(System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        var go = await CommandAsync("DATA", cancellationToken);
        if (go.Code != 354)
        {
            return go;
        }

        await WriteAsync(message.Length, (stream, token) => SmtpDataEncoder.WriteDataAsync(message, stream, token), cancellationToken);

        // RFC 5321 4.5.3.2.6: the final reply may take up to 10 minutes; we give it four command timeouts.
        return await ReadReplyAsync(_timeout * 4, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (IsUsable)
        {
            try
            {
                using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await WriteAsync("QUIT\r\n"u8.ToArray(), quick.Token);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // The server went away first; nothing is lost by not saying goodbye.
            }
        }

        IsUsable = false;
        _reader.Dispose();
        await _stream.DisposeAsync();
        _tcp.Dispose();
        _operationTimeout.Dispose();
    }

    private async Task HelloAsync(string localName, CancellationToken cancellationToken)
    {
        var ehlo = await CommandAsync($"EHLO {localName}", cancellationToken);
        if (ehlo.Code == 250)
        {
            Extensions = ParseExtensions(ehlo.Lines);
            return;
        }

        var helo = await CommandAsync($"HELO {localName}", cancellationToken);
        if (helo.Code != 250)
        {
            throw new DownstreamRefusedException(helo);
        }

        Extensions = new Dictionary<string, string>();
    }

    private async Task StartTlsAsync(DownstreamServer server, string localName, CancellationToken cancellationToken)
    {
        var reply = await CommandAsync("STARTTLS", cancellationToken);
        if (reply.Code != 220)
        {
            if (server.Tls == DownstreamTls.Required)
            {
                throw new AuthenticationException($"{server.Name} refused STARTTLS ({reply.Code} {string.Join(' ', reply.Lines)}), and downstream.tls is required");
            }

            return;
        }

        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = server.Host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        };
        DownstreamCertificates.Configure(authentication, server);

        using (var handshakeTimeout = Linked(cancellationToken, _timeout))
        {
            await ssl.AuthenticateAsClientAsync(authentication, handshakeTimeout.Token);
        }

        // Anything the server sent before the handshake is discarded with the old reader (RFC 3207 section 4.2).
        _stream = ssl;
        _reader = NewReader(ssl);
        await HelloAsync(localName, cancellationToken);
    }

    private Task WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        WriteAsync(bytes.Length, (stream, token) => stream.WriteAsync(bytes, token).AsTask(), cancellationToken);

    /// <summary>One write of <paramref name="length"/> bytes, timed (a command timeout plus 10 ms per KB); a failed write makes the connection unusable.</summary>
    private async Task WriteAsync(long length, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        var timeout = _operationTimeout.Start(cancellationToken, _timeout + TimeSpan.FromMilliseconds(length / 100.0));
        try
        {
            await write(_stream, timeout);
            await _stream.FlushAsync(timeout);
        }
        catch
        {
            IsUsable = false;
            throw;
        }
    }

    private async Task<DownstreamReply> ReadReplyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _operationTimeout.Start(cancellationToken, timeout);
        var lines = new List<string>();
        try
        {
            while (true)
            {
                var line = await _reader.ReadLineAsync(deadline)
                    ?? throw new IOException("the downstream server closed the connection");
                if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code) || (line.Length > 3 && line[3] is not ' ' and not '-'))
                {
                    throw new IOException($"the downstream server sent a malformed reply line: {line}");
                }

                lines.Add(line.Length > 4 ? line[4..] : string.Empty);
                if (line.Length == 3 || line[3] == ' ')
                {
                    if (code == 421)
                    {
                        IsUsable = false;
                    }

                    return new DownstreamReply(code, lines);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            IsUsable = false;
            throw new TimeoutException("the downstream server did not answer in time");
        }
        catch
        {
            IsUsable = false;
            throw;
        }
    }

    private static Dictionary<string, string> ParseExtensions(IReadOnlyList<string> lines)
    {
        var extensions = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var space = line.IndexOf(' ');
            var keyword = space < 0 ? line : line[..space];
            extensions[keyword.ToUpperInvariant()] = space < 0 ? string.Empty : line[(space + 1)..];
        }

        return extensions;
    }

    private static StreamReader NewReader(Stream stream) => new(stream, Encoding.Latin1, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);

    private static CancellationTokenSource Linked(CancellationToken cancellationToken, TimeSpan timeout)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(timeout);
        return source;
    }
}
