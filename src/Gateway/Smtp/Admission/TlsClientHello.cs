using System.Buffers.Binary;

namespace Gateway.Smtp.Admission;

/// <summary>
/// What a client's TLS ClientHello says about the server certificates it can verify: enough to serve an
/// ECDSA certificate to the clients that take one and RSA to the rest, as Postfix does with
/// smtpd_tls_eccert_file beside smtpd_tls_cert_file. SslStream takes one certificate and does not show the
/// ClientHello's signature algorithms, so the gateway reads the first TLS record itself (RFC 8446 4.1.2,
/// RFC 5246 7.4.1.2) and hands the same bytes on to SslStream.
/// </summary>
internal static class TlsClientHello
{
    /// <summary>A TLS record's header: content type, version, length.</summary>
    public const int RecordHeaderLength = 5;

    private const byte HandshakeRecord = 22;
    private const byte ClientHelloMessage = 1;
    private const ushort SignatureAlgorithms = 13;
    private const ushort SupportedGroups = 10;
    private const ushort SupportedVersions = 43;
    private const ushort EcdsaSecp256r1Sha256 = 0x0403;
    private const ushort Secp256r1 = 23;
    private const ushort Tls13 = 0x0304;

    /// <summary>A plaintext record's payload is at most 2^14 bytes (RFC 8446 5.1): a longer one is no ClientHello, and not read.</summary>
    private const int MaxRecordLength = 1 << 14;

    /// <summary>The payload length of a handshake record's header; null when the bytes are no TLS handshake record.</summary>
    public static int? RecordLength(ReadOnlySpan<byte> header) =>
        header.Length >= RecordHeaderLength && header[0] == HandshakeRecord && header[1] == 3
        && BinaryPrimitives.ReadUInt16BigEndian(header[3..5]) is var length and <= MaxRecordLength
            ? length
            : null;

    /// <summary>
    /// The client's first TLS record, header included (its ClientHello), or as much as came before the
    /// stream ended or showed itself not to be TLS: the caller hands these bytes on to SslStream
    /// (<see cref="ReplayStream"/>), which gives the answer to whatever they are.
    /// </summary>
    public static async Task<ReadOnlyMemory<byte>> ReadFirstRecordAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[RecordHeaderLength];
        var got = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        if (got < header.Length || RecordLength(header) is not { } length)
        {
            return header.AsMemory(0, got);
        }

        var record = new byte[header.Length + length];
        header.CopyTo(record, 0);
        got = await stream.ReadAtLeastAsync(record.AsMemory(header.Length), length, throwOnEndOfStream: false, cancellationToken);
        return record.AsMemory(0, header.Length + got);
    }

    /// <summary>
    /// Whether the client can verify an ECDSA P-256 certificate: it offers ecdsa_secp256r1_sha256 among its
    /// signature algorithms, and either speaks TLS 1.3 or (TLS 1.2) offers an ECDHE_ECDSA cipher suite on a
    /// curve list with P-256. Anything unreadable, cut short or absent answers false: RSA, which every client takes.
    /// </summary>
    /// <param name="record">The first TLS record, header included.</param>
    public static bool TakesEcdsaP256(ReadOnlySpan<byte> record)
    {
        try
        {
            return Read(record);
        }
        catch (Exception exception) when (exception is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            return false; // a length that points past the bytes we have: hostile or cut short
        }
    }

    private static bool Read(ReadOnlySpan<byte> record)
    {
        if (RecordLength(record) is not { } length || record.Length < RecordHeaderLength + length)
        {
            return false;
        }

        var hello = record.Slice(RecordHeaderLength, length);
        if (hello[0] != ClientHelloMessage)
        {
            return false;
        }

        // Handshake header (type, 24-bit length), then client_version and random.
        var body = hello[4..];
        body = body[(2 + 32)..];
        body = Skip(body, lengthBytes: 1); // session_id
        var suites = Vector(ref body, lengthBytes: 2);
        body = Skip(body, lengthBytes: 1); // compression methods
        if (body.Length < 2)
        {
            return false; // no extensions: no signature algorithms, so not ECDSA for certain
        }

        var extensions = Vector(ref body, lengthBytes: 2);
        var (sha256Ecdsa, tls13, p256, anyGroups) = (false, false, false, false);
        while (extensions.Length >= 4)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(extensions);
            var data = extensions.Slice(4, BinaryPrimitives.ReadUInt16BigEndian(extensions[2..]));
            extensions = extensions[(4 + data.Length)..];
            switch (type)
            {
                case SignatureAlgorithms:
                    sha256Ecdsa = Contains(data[2..(2 + BinaryPrimitives.ReadUInt16BigEndian(data))], EcdsaSecp256r1Sha256);
                    break;
                case SupportedVersions:
                    tls13 = Contains(data[1..(1 + data[0])], Tls13);
                    break;
                case SupportedGroups:
                    anyGroups = true;
                    p256 = Contains(data[2..(2 + BinaryPrimitives.ReadUInt16BigEndian(data))], Secp256r1);
                    break;
            }
        }

        return sha256Ecdsa && (tls13 || (HasEcdsaSuite(suites) && (p256 || !anyGroups)));
    }

    /// <summary>TLS 1.2's ECDHE_ECDSA suites (0xC0xx of RFC 8422 and RFC 5289, and ChaCha20's 0xCCA9).</summary>
    private static bool HasEcdsaSuite(ReadOnlySpan<byte> suites)
    {
        for (var i = 0; i + 1 < suites.Length; i += 2)
        {
            var suite = BinaryPrimitives.ReadUInt16BigEndian(suites[i..]);
            if (suite is 0xC009 or 0xC00A or 0xC023 or 0xC024 or 0xC02B or 0xC02C or 0xCCA9 or 0xC0AC or 0xC0AD or 0xC0AE or 0xC0AF)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Contains(ReadOnlySpan<byte> list, ushort value)
    {
        for (var i = 0; i + 1 < list.Length; i += 2)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(list[i..]) == value)
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> Vector(ref ReadOnlySpan<byte> from, int lengthBytes)
    {
        var length = lengthBytes == 1 ? from[0] : BinaryPrimitives.ReadUInt16BigEndian(from);
        var vector = from.Slice(lengthBytes, length);
        from = from[(lengthBytes + length)..];
        return vector;
    }

    private static ReadOnlySpan<byte> Skip(ReadOnlySpan<byte> from, int lengthBytes)
    {
        Vector(ref from, lengthBytes);
        return from;
    }
}
