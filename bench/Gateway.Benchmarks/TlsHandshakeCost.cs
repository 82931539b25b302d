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

        var (rsaHandshake, ecHandshake, chosenHandshake) = (0.0, 0.0, 0.0);
        var per = Math.Max(10, handshakes / 10);
        await HandshakesAsync(rsa, 50);
        await HandshakesAsync(ec, 50);
        await HandshakesAsync(ec, 50, chooseFrom: rsa);
        for (var round = 0; round < 10; round++)
        {
            rsaHandshake += await HandshakesAsync(rsa, per);
            ecHandshake += await HandshakesAsync(ec, per);
            chosenHandshake += await HandshakesAsync(ec, per, chooseFrom: rsa);
        }

        Console.WriteLine($"full TLS 1.3 handshake, both ends in one process: RSA-2048 {rsaHandshake / (per * 10):0.000} ms CPU, ECDSA P-256 {ecHandshake / (per * 10):0.000} ms CPU ({ecHandshake / rsaHandshake:0.00} x)");
        Console.WriteLine($"ECDSA chosen from the ClientHello with RSA configured beside it: {chosenHandshake / (per * 10):0.000} ms CPU ({chosenHandshake / ecHandshake:0.00} x ECDSA alone)");
        return 0;
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
    private static async Task<double> HandshakesAsync(X509Certificate2 certificate, int count, X509Certificate2? chooseFrom = null)
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
            await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
            await Task.WhenAll(
                ServeAsync(accepted.GetStream(), context, other),
                tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "gateway.example.test" }));
        }

        return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds;
    }

    private static async Task ServeAsync(NetworkStream network, SslStreamCertificateContext ecdsaOrOnly, SslStreamCertificateContext? rsa)
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
    }
}
