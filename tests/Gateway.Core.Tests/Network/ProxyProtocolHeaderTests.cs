using System.Buffers.Binary;
using CsCheck;
using Gateway.Core.Network;

namespace Gateway.Core.Tests.Network;

/// <summary>
/// PROXY protocol v2 as a balancer (or an attacker inside proxy_protocol_from) may send it: the known forms
/// give the client's address, and any other bytes end in InvalidDataException, never another exception
/// or a read past what the header declares.
/// </summary>
public sealed class ProxyProtocolHeaderTests
{
    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static byte[] V2(byte versionCommand, byte family, byte[] payload)
    {
        var length = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(length, (ushort)payload.Length);
        return [.. Signature, versionCommand, family, .. length, .. payload];
    }

    private static Task<IPEndPoint?> ReadAsync(byte[] bytes) => ProxyProtocolHeader.ReadAsync(new MemoryStream(bytes), CancellationToken.None);

    [Fact]
    public async Task Tcp4_and_tcp6_with_tlvs_name_the_client_and_local_names_none()
    {
        byte[] tcp4 = [192, 0, 2, 7, 10, 0, 0, 1, 0x30, 0x39, 0x00, 0x19, /* a TLV: type 1 (ALPN), length 2 */ 0x01, 0x00, 0x02, (byte)'h', (byte)'2'];
        byte[] tcp6 = [.. IPAddress.Parse("2001:db8::7").GetAddressBytes(), .. IPAddress.IPv6Loopback.GetAddressBytes(), 0x30, 0x39, 0x00, 0x19];

        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 12345), await ReadAsync(V2(0x21, 0x11, tcp4)));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("2001:db8::7"), 12345), await ReadAsync(V2(0x21, 0x21, tcp6)));
        Assert.Null(await ReadAsync(V2(0x20, 0x00, [])));
    }

    [Theory]
    [InlineData(0x21, 0x11, 11)] // TCP4 one byte short of its addresses
    [InlineData(0x21, 0x31, 216)] // AF_UNIX: no address we could use
    [InlineData(0x11, 0x11, 12)] // version 1 in the binary form
    [InlineData(0x2F, 0x11, 12)] // command 15
    public async Task Malformed_v2_headers_are_invalid_data(int versionCommand, int family, int payloadLength)
    {
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(V2((byte)versionCommand, (byte)family, new byte[payloadLength])));
    }

    [Fact]
    public async Task A_declared_length_over_the_bound_or_beyond_the_bytes_sent_is_refused_without_waiting_for_more()
    {
        var huge = V2(0x21, 0x11, new byte[12]);
        BinaryPrimitives.WriteUInt16BigEndian(huge.AsSpan(14), 65535);
        var truncated = V2(0x21, 0x11, new byte[40])[..30];

        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(huge));
        await Assert.ThrowsAsync<InvalidDataException>(() => ReadAsync(truncated));
    }

    [Fact]
    public void Any_bytes_after_the_signature_give_an_address_none_or_invalid_data()
    {
        Gen.Byte.Array[0, 80].Sample(tail =>
        {
            try
            {
                _ = ReadAsync([.. Signature, .. tail]).GetAwaiter().GetResult();
            }
            catch (InvalidDataException)
            {
                // Refused: the connection is closed.
            }
        }, iter: 2000);
    }

    /// <summary>A peek over what a memory stream has left, <paramref name="arrivesAtOnce"/> bytes at most: as a socket's MSG_PEEK sees data arriving in pieces.</summary>
    private static Func<Memory<byte>, CancellationToken, ValueTask<int>> PeekOf(MemoryStream stream, int arrivesAtOnce) => (buffer, _) =>
    {
        var available = (int)Math.Min(Math.Min(buffer.Length, arrivesAtOnce), stream.Length - stream.Position);
        stream.GetBuffer().AsSpan((int)stream.Position, available).CopyTo(buffer.Span);
        return ValueTask.FromResult(available);
    };

    [Theory]
    [InlineData(0)] // no peek: a byte at a time
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)] // the header and the client's first command arrived together
    public async Task A_v1_header_is_read_up_to_its_line_end_and_not_a_byte_further(int arrivesAtOnce)
    {
        var bytes = "PROXY TCP4 192.0.2.7 10.0.0.1 12345 25\r\nEHLO client.example\r\n"u8.ToArray();
        var stream = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);

        var client = await ProxyProtocolHeader.ReadAsync(stream, arrivesAtOnce == 0 ? null : PeekOf(stream, arrivesAtOnce), CancellationToken.None);

        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.7"), 12345), client);
        Assert.Equal("EHLO client.example\r\n", new StreamReader(stream).ReadToEnd());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4096)]
    public async Task A_v1_header_without_a_line_end_in_its_bound_or_with_control_bytes_is_invalid_data(int arrivesAtOnce)
    {
        foreach (var text in new[] { "PROXY TCP4 " + new string('1', 200) + "\r\n", "PROXY TCP4 192.0.2.7\u0001 10.0.0.1 1 25\r\n", "PROXY TCP4 192.0.2.7" })
        {
            var bytes = System.Text.Encoding.Latin1.GetBytes(text);
            var stream = new MemoryStream(bytes, 0, bytes.Length, writable: false, publiclyVisible: true);
            await Assert.ThrowsAsync<InvalidDataException>(() => ProxyProtocolHeader.ReadAsync(stream, arrivesAtOnce == 0 ? null : PeekOf(stream, arrivesAtOnce), CancellationToken.None));
        }
    }
}
