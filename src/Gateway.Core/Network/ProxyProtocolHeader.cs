using System.Buffers.Binary;
using System.Text;

namespace Gateway.Core.Network;

/// <summary>
/// Reads the PROXY protocol header (HAProxy, versions 1 and 2) a load balancer sends before anything
/// else on a connection, and gives the original client's end point. Reads exactly the header's bytes, so
/// the SMTP session that follows sees its stream untouched. Anything else is <see cref="InvalidDataException"/>:
/// on a port configured for PROXY, a connection without a valid header is not a client we can name.
/// </summary>
public static class ProxyProtocolHeader
{
    private const int MaxV1Length = 107; // the spec's worst case, CRLF included
    private const int MaxV2Payload = 4096; // addresses plus TLVs (SSL details); a bigger one is hostile

    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The client's end point, or null for a header that names none (v1 UNKNOWN, v2 LOCAL: health checks).</summary>
    public static Task<IPEndPoint?> ReadAsync(Stream stream, CancellationToken cancellationToken) => ReadAsync(stream, peek: null, cancellationToken);

    /// <summary>
    /// As <see cref="ReadAsync(Stream, CancellationToken)"/>, with a way to look at the bytes that have arrived
    /// without taking them (a socket's MSG_PEEK): the text header's line is then read in one or two reads up
    /// to its line end instead of one read per byte — each of those was a system call, about 45 per
    /// connection, a few per cent of the gateway's CPU behind a balancer (bench/RESULTS.md).
    /// </summary>
    /// <param name="peek">Waits until at least one byte has arrived and copies what has, up to the buffer's length, leaving it unread; 0 when the peer closed.</param>
    public static async Task<IPEndPoint?> ReadAsync(Stream stream, Func<Memory<byte>, CancellationToken, ValueTask<int>>? peek, CancellationToken cancellationToken)
    {
        var start = new byte[5];
        await ReadExactlyAsync(stream, start, cancellationToken);
        if (start.AsSpan().SequenceEqual("PROXY"u8))
        {
            return await ReadV1Async(stream, peek, cancellationToken);
        }

        if (start.AsSpan().SequenceEqual(V2Signature.AsSpan(0, 5)))
        {
            return await ReadV2Async(stream, start, cancellationToken);
        }

        throw new InvalidDataException("no PROXY protocol header");
    }

    /// <summary>
    /// "PROXY TCP4 src dst sport dport\r\n" after the first five bytes, never read past its line end: what follows
    /// belongs to the SMTP session. Without a peek, one byte at a time; with one, what has arrived up to the line end.
    /// </summary>
    private static async Task<IPEndPoint?> ReadV1Async(Stream stream, Func<Memory<byte>, CancellationToken, ValueTask<int>>? peek, CancellationToken cancellationToken)
    {
        var line = new StringBuilder("PROXY");
        var chunk = new byte[MaxV1Length];
        while (true)
        {
            var take = 1;
            if (peek is not null)
            {
                var seen = await peek(chunk.AsMemory(0, MaxV1Length - line.Length), cancellationToken);
                if (seen <= 0)
                {
                    throw new InvalidDataException("connection closed inside the PROXY header");
                }

                var lineEnd = chunk.AsSpan(0, seen).IndexOf((byte)'\n');
                take = lineEnd >= 0 ? lineEnd + 1 : seen;
            }

            await ReadExactlyAsync(stream, chunk.AsMemory(0, take), cancellationToken);
            foreach (var b in chunk.AsSpan(0, take))
            {
                if (b == '\n')
                {
                    return ParseV1(line.ToString().TrimEnd('\r'));
                }

                if (line.Length >= MaxV1Length - 1 || b is < 0x20 and not (byte)'\r' or > 0x7E)
                {
                    throw new InvalidDataException("PROXY v1 header too long or not text");
                }

                line.Append((char)b);
            }
        }
    }

    public static IPEndPoint? ParseV1(string line)
    {
        var parts = line.Split(' ');
        if (parts is ["PROXY", "UNKNOWN", ..])
        {
            return null;
        }

        if (parts is not ["PROXY", var family and ("TCP4" or "TCP6"), var source, _, var sourcePort, _]
            || !IPAddress.TryParse(source, out var address)
            || (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) != (family == "TCP4")
            || !ushort.TryParse(sourcePort, out var port))
        {
            throw new InvalidDataException($"malformed PROXY v1 header '{line}'");
        }

        return new IPEndPoint(address, port);
    }

    private static async Task<IPEndPoint?> ReadV2Async(Stream stream, byte[] start, CancellationToken cancellationToken)
    {
        var header = new byte[16];
        start.CopyTo(header, 0);
        await ReadExactlyAsync(stream, header.AsMemory(5), cancellationToken);
        if (!header.AsSpan(0, 12).SequenceEqual(V2Signature))
        {
            throw new InvalidDataException("bad PROXY v2 signature");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(14));
        if (length > MaxV2Payload)
        {
            throw new InvalidDataException($"PROXY v2 header of {length} bytes");
        }

        var payload = new byte[length];
        await ReadExactlyAsync(stream, payload, cancellationToken);
        return ParseV2(header[12], header[13], payload);
    }

    /// <summary>Version/command byte, family/transport byte and the payload after the 16-byte header.</summary>
    public static IPEndPoint? ParseV2(byte versionCommand, byte family, ReadOnlySpan<byte> payload)
    {
        if (versionCommand >> 4 != 2)
        {
            throw new InvalidDataException($"PROXY version {versionCommand >> 4}");
        }

        switch (versionCommand & 0x0F)
        {
            case 0x0: // LOCAL: the proxy's own connection (health check)
                return null;
            case 0x1: // PROXY
                break;
            default:
                throw new InvalidDataException($"PROXY v2 command {versionCommand & 0x0F}");
        }

        // Transport must be a stream (TCP); an unspecified family means "addresses unknown".
        return family switch
        {
            0x00 => null,
            0x11 when payload.Length >= 12 => new IPEndPoint(new IPAddress(payload[..4]), BinaryPrimitives.ReadUInt16BigEndian(payload[8..])),
            0x21 when payload.Length >= 36 => new IPEndPoint(new IPAddress(payload[..16]), BinaryPrimitives.ReadUInt16BigEndian(payload[32..])),
            _ => throw new InvalidDataException($"PROXY v2 family/transport 0x{family:x2} with {payload.Length} bytes of addresses"),
        };
    }

    private static async Task ReadExactlyAsync(Stream stream, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            await stream.ReadExactlyAsync(buffer, cancellationToken);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("connection closed inside the PROXY header");
        }
    }
}
