using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Benchmarks;

/// <summary>
/// What a full TLS handshake costs with an RSA-2048 certificate against an ECDSA P-256 one (issue 37), in the same
/// run, interleaved so the machine's noise falls on both: (1) the server's private-key operation alone, the part of
/// a full handshake that depends on the certificate (one signature per handshake; the ECDHE exchange is the same
/// for both); (2) whole TLS 1.3 handshakes over loopback with SslStream at both ends, CPU of the whole process (the
/// client's verification included: ECDSA verifies slower than RSA, so this understates the server's gain); (3) the
/// same ECDSA handshakes when RSA and ECDSA are both configured, so the server reads the ClientHello first to choose
/// (TlsClientHello, ReplayStream: what ClientPipe does with tls.ecdsa_certificate).
/// Usage: dotnet run -c Release --project bench/Gateway.Benchmarks -- tls-handshake [HANDSHAKES=2000]
/// </summary>
internal static class TlsHandshakeCost
{
    public static async Task<int> RunAsync(int handshakes)
    {
        using var rsaKey = RSA.Create(2048);
        using var ecKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rsa = Reload(new CertificateRequest("CN=rsa.example.test", rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));
        using var ec = Reload(new CertificateRequest("CN=ec.example.test", ecKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)));

        var data = RandomNumberGenerator.GetBytes(64);
        var (rsaSign, ecSign) = (0.0, 0.0);
        for (var round = 0; round < 10; round++)
        {
            rsaSign += CpuMs(() => { for (var i = 0; i < 200; i++) rsaKey.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss); });
            ecSign += CpuMs(() => { for (var i = 0; i < 200; i++) ecKey.SignData(data, HashAlgorithmName.SHA256); });
        }

        Console.WriteLine($"server signature per handshake: RSA-2048 {rsaSign / 2000:0.000} ms, ECDSA P-256 {ecSign / 2000:0.000} ms ({ecSign / rsaSign:0.00} x)");

        var (rsaHandshake, ecHandshake, chosenHandshake, ecFirstByte, ecResumed) = (0.0, 0.0, 0.0, 0.0, 0.0);
        var per = Math.Max(10, handshakes / 10);
        await HandshakesAsync(rsa, 50);
        await HandshakesAsync(ec, 50);
        await HandshakesAsync(ec, 50, chooseFrom: rsa);
        await HandshakesAsync(ec, 50, firstByte: true);
        await HandshakesAsync(ec, 50, firstByte: true, resume: true);
        var bytes = new HandshakeBytes();
        for (var round = 0; round < 10; round++)
        {
            rsaHandshake += await HandshakesAsync(rsa, per);
            ecHandshake += await HandshakesAsync(ec, per);
            chosenHandshake += await HandshakesAsync(ec, per, chooseFrom: rsa);
            ecFirstByte += await HandshakesAsync(ec, per, firstByte: true, bytes: bytes.Full);
            ecResumed += await HandshakesAsync(ec, per, firstByte: true, resume: true, bytes: bytes.Resumed);
        }

        Console.WriteLine($"full TLS 1.3 handshake, both ends in one process: RSA-2048 {rsaHandshake / (per * 10):0.000} ms CPU, ECDSA P-256 {ecHandshake / (per * 10):0.000} ms CPU ({ecHandshake / rsaHandshake:0.00} x)");
        Console.WriteLine($"ECDSA chosen from the ClientHello with RSA configured beside it: {chosenHandshake / (per * 10):0.000} ms CPU ({chosenHandshake / ecHandshake:0.00} x ECDSA alone)");
        Console.WriteLine($"ECDSA, a first byte from the server read (the client takes the session ticket): full {ecFirstByte / (per * 10):0.000} ms CPU, " +
            $"resumed {ecResumed / (per * 10):0.000} ms CPU ({ecResumed / ecFirstByte:0.00} x); bytes the client read in the handshake: full {bytes.Full.Average:0}, resumed {bytes.Resumed.Average:0}");
        return 0;
    }

    /// <summary>What the client read during its handshakes: a resumed TLS 1.3 handshake carries no certificate, so it shows in the bytes.</summary>
    private sealed class HandshakeBytes
    {
        public Tally Full { get; } = new();

        public Tally Resumed { get; } = new();
    }

    private sealed class Tally
    {
        private long _bytes;
        private int _handshakes;

        public double Average => _handshakes == 0 ? 0 : (double)_bytes / _handshakes;

        public void Add(long bytes)
        {
            _bytes += bytes;
            _handshakes++;
        }
    }

    /// <summary>Counts what is read through it.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        private int Counted(int read)
        {
            BytesRead += read;
            return read;
        }
    }

    /// <summary>A certificate with its key as SslStream on Linux wants it (exported and loaded, not ephemeral).</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate)
    {
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
        }
    }

    private static double CpuMs(Action work)
    {
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        work();
        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds;
    }

    /// <summary>CPU milliseconds of the whole process for <paramref name="count"/> sequential handshakes over loopback.</summary>
    /// <param name="chooseFrom">An RSA certificate beside <paramref name="certificate"/>: the server reads the ClientHello and chooses.</param>
    /// <param name="firstByte">The server writes a byte after the handshake and the client reads it, as an SMTP client reads the reply to EHLO: only then has it taken the TLS 1.3 session ticket that comes after the handshake.</param>
    /// <param name="resume">The client names the server (.NET's client keeps no session for an IP address or across names) and resumes the session of the previous handshake.</param>
    private static async Task<double> HandshakesAsync(X509Certificate2 certificate, int count, X509Certificate2? chooseFrom = null, bool firstByte = false, bool resume = false, Tally? bytes = null)
    {
        var context = SslStreamCertificateContext.Create(certificate, null, offline: true);
        var other = chooseFrom is null ? null : SslStreamCertificateContext.Create(chooseFrom, null, offline: true);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var endPoint = (IPEndPoint)listener.LocalEndpoint;
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < count; i++)
        {
            using var client = new TcpClient();
            var accepting = listener.AcceptTcpClientAsync();
            await client.ConnectAsync(endPoint);
            using var accepted = await accepting;
            var counting = new CountingStream(client.GetStream());
            await using var tls = new SslStream(counting, false, (_, _, _, _) => true);
            // A fresh name per handshake keeps the client from resuming where it should not.
            var name = resume ? "resumed.example.test" : $"full{i}.example.test";
            await Task.WhenAll(
                ServeAsync(accepted.GetStream(), context, other, firstByte),
                tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = name, AllowTlsResume = resume }));
            bytes?.Add(counting.BytesRead);
            if (firstByte)
            {
                await tls.ReadExactlyAsync(new byte[1]);
            }
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds;
    }

    private static async Task ServeAsync(NetworkStream network, SslStreamCertificateContext ecdsaOrOnly, SslStreamCertificateContext? rsa, bool firstByte)
    {
        Stream transport = network;
        var context = ecdsaOrOnly;
        if (rsa is not null)
        {
            var hello = await Gateway.Smtp.Admission.TlsClientHello.ReadFirstRecordAsync(network, CancellationToken.None);
            context = Gateway.Smtp.Admission.TlsClientHello.TakesEcdsaP256(hello.Span) ? ecdsaOrOnly : rsa;
            transport = new Gateway.Smtp.Admission.ReplayStream(hello, network);
        }

        await using var server = new SslStream(transport);
        await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = context });
        if (rsa is not null && server.LocalCertificate?.GetKeyAlgorithm() != "1.2.840.10045.2.1")
        {
            throw new InvalidOperationException("the ClientHello chose RSA for a client that takes ECDSA");
        }

        if (firstByte)
        {
            await server.WriteAsync(new byte[] { (byte)'2' });
        }
    }
}
