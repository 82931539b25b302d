using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Core.Attachments;

/// <summary>clamd's answer for one stream: clean, or the signature it found.</summary>
public sealed record ClamdVerdict(bool Infected, string? Signature);

/// <summary>clamd could not be reached, did not answer in time, or answered with an error.</summary>
public sealed class ClamdUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Talks to clamd, the ClamAV daemon, with its INSTREAM command (chunks of 4-byte big-endian length plus
/// data, a zero length to end) inside an IDSESSION, so a connection serves scan after scan instead of one
/// TCP (or Unix socket) handshake per attachment. Up to pool_size sessions are kept; one that clamd
/// closed meanwhile (its IdleTimeout) is replaced and the scan retried once on a fresh one.
/// </summary>
public sealed class ClamdClient(string endPoint, int poolSize) : IAsyncDisposable
{
    private const int ChunkSize = 64 * 1024;

    private sealed class Session(Socket socket, NetworkStream stream) : IDisposable
    {
        public NetworkStream Stream { get; } = stream;

        public void Dispose()
        {
            Stream.Dispose();
            socket.Dispose();
        }
    }

    private readonly ConcurrentBag<Session> _idle = [];
    private readonly SemaphoreSlim _slots = new(poolSize, poolSize);

    public async Task<ClamdVerdict> ScanAsync(ReadOnlyMemory<byte> content, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await _slots.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClamdUnavailableException($"clamd {endPoint}: every connection busy for {timeout.TotalSeconds:0.#}s");
        }

        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var reused = _idle.TryTake(out var session);
                session ??= await OpenAsync(deadline.Token);
                try
                {
                    var verdict = await ScanOnAsync(session, content, deadline.Token);
                    _idle.Add(session);
                    return verdict;
                }
                catch (Exception exception) when (exception is IOException or SocketException or EndOfStreamException)
                {
                    session.Dispose();
                    if (!reused || attempt > 0)
                    {
                        throw new ClamdUnavailableException($"clamd {endPoint}: {exception.Message}", exception);
                    }

                    // A pooled session clamd had closed (IdleTimeout): once more on a fresh one.
                }
                catch
                {
                    session.Dispose();
                    throw;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ClamdUnavailableException($"clamd {endPoint}: no answer within {timeout.TotalSeconds:0.#}s");
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task<Session> OpenAsync(CancellationToken cancellationToken)
    {
        Socket socket;
        EndPoint target;
        if (endPoint.StartsWith('/'))
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            target = new UnixDomainSocketEndPoint(endPoint);
        }
        else
        {
            var (host, port) = Configuration.HostPort.Parse(endPoint, 3310);
            var address = IPAddress.TryParse(host, out var literal) ? literal : (await System.Net.Dns.GetHostAddressesAsync(host, cancellationToken))[0];
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            target = new IPEndPoint(address, port);
        }

        try
        {
            await socket.ConnectAsync(target, cancellationToken);
            var stream = new NetworkStream(socket, ownsSocket: false);
            await stream.WriteAsync("zIDSESSION\0"u8.ToArray(), cancellationToken);
            return new Session(socket, stream);
        }
        catch (SocketException exception)
        {
            socket.Dispose();
            throw new ClamdUnavailableException($"clamd {endPoint}: {exception.Message}", exception);
        }
    }

    private static async Task<ClamdVerdict> ScanOnAsync(Session session, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var stream = session.Stream;
        await stream.WriteAsync("zINSTREAM\0"u8.ToArray(), cancellationToken);
        var length = new byte[4];
        for (var offset = 0; offset < content.Length; offset += ChunkSize)
        {
            var chunk = content.Slice(offset, Math.Min(ChunkSize, content.Length - offset));
            BinaryPrimitives.WriteInt32BigEndian(length, chunk.Length);
            await stream.WriteAsync(length, cancellationToken);
            await stream.WriteAsync(chunk, cancellationToken);
        }

        BinaryPrimitives.WriteInt32BigEndian(length, 0);
        await stream.WriteAsync(length, cancellationToken);
        return Parse(await ReadReplyAsync(stream, cancellationToken));
    }

    /// <summary>One NUL-terminated reply ("1: stream: OK", "1: stream: NAME FOUND", "1: ... ERROR").</summary>
    private static async Task<string> ReadReplyAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var reply = new List<byte>(64);
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new EndOfStreamException("clamd closed the connection");
            }

            if (one[0] == 0)
            {
                return Encoding.ASCII.GetString([.. reply]);
            }

            if (reply.Count > 4096)
            {
                throw new IOException("clamd's reply is too long");
            }

            reply.Add(one[0]);
        }
    }

    internal static ClamdVerdict Parse(string reply)
    {
        // Drop the session's request id ("12: ").
        var text = reply.IndexOf(": ", StringComparison.Ordinal) is var colon and > 0 && reply[..colon].All(char.IsAsciiDigit) ? reply[(colon + 2)..] : reply;
        if (text.EndsWith(" FOUND", StringComparison.Ordinal))
        {
            var signature = text[..^" FOUND".Length];
            return new ClamdVerdict(true, signature.StartsWith("stream: ", StringComparison.Ordinal) ? signature["stream: ".Length..] : signature);
        }

        if (text.EndsWith("OK", StringComparison.Ordinal))
        {
            return new ClamdVerdict(false, null);
        }

        throw new ClamdUnavailableException($"clamd answered: {text}");
    }

    public ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var session))
        {
            session.Dispose();
        }

        _slots.Dispose();
        return ValueTask.CompletedTask;
    }
}
