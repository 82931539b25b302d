using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gateway.Smtp.Admission;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace Gateway.IntegrationTests;

/// <summary>
/// RSA and ECDSA certificates served side by side (tls.ecdsa_certificate, Postfix's smtpd_tls_eccert_file):
/// the ClientHello decides. The hellos here are real ones, written by .NET's own TLS client (OpenSSL).
/// </summary>
public sealed class TlsCertificateChoiceTests
{
    private const string EcPublicKey = "1.2.840.10045.2.1";
    private const string RsaPublicKey = "1.2.840.113549.1.1.1";

    /// <summary>TLS 1.2 with only the ECDHE_RSA suites: a client that cannot verify an ECDSA server certificate.</summary>
    private static readonly SslClientAuthenticationOptions RsaOnlyClient = new()
    {
        TargetHost = "gateway.example.test",
        EnabledSslProtocols = SslProtocols.Tls12,
        CipherSuitesPolicy = new CipherSuitesPolicy([TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]),
        RemoteCertificateValidationCallback = (_, _, _, _) => true,
    };

    private static readonly SslClientAuthenticationOptions ModernClient = new()
    {
        TargetHost = "gateway.example.test",
        RemoteCertificateValidationCallback = (_, _, _, _) => true,
    };

    [Fact(Timeout = 30_000)]
    public async Task A_modern_client_gets_the_ecdsa_certificate_and_mail_flows()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithBothAsync(downstream);
        string? keyAlgorithm = null;

        using var client = new SmtpClient { Timeout = 20_000, ServerCertificateValidationCallback = (_, certificate, _, _) => { keyAlgorithm = certificate?.GetKeyAlgorithm(); return true; } };
        await client.ConnectAsync("127.0.0.1", gateway.EndPoint.Port, SecureSocketOptions.StartTls);
        await client.SendAsync(TestMessages.Create(subject: "both configured"));
        await client.DisconnectAsync(quit: true);

        Assert.Equal(EcPublicKey, keyAlgorithm);
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_client_without_ecdsa_suites_gets_the_rsa_certificate_and_the_session_goes_on()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithBothAsync(downstream);

        var (keyAlgorithm, ehlo) = await StartTlsAsync(gateway.EndPoint, RsaOnlyClient);

        Assert.Equal(RsaPublicKey, keyAlgorithm);
        Assert.StartsWith("250", ehlo, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task With_one_certificate_every_client_gets_it_without_the_clienthello_being_read()
    {
        var rsa = TestCertificates.SelfSigned();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Tls = options.Tls with { Certificate = rsa.CertificateFile, Key = rsa.KeyFile } });

        Assert.Equal(RsaPublicKey, (await StartTlsAsync(gateway.EndPoint, ModernClient)).KeyAlgorithm);
        Assert.Equal(RsaPublicKey, (await StartTlsAsync(gateway.EndPoint, RsaOnlyClient)).KeyAlgorithm);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_clienthello_parser_reads_what_real_clients_offer()
    {
        Assert.True(TlsClientHello.TakesEcdsaP256((await CaptureClientHelloAsync(ModernClient)).Span));
        Assert.False(TlsClientHello.TakesEcdsaP256((await CaptureClientHelloAsync(RsaOnlyClient)).Span));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_clienthello_cut_short_or_corrupted_anywhere_means_rsa_and_never_throws()
    {
        var hello = (await CaptureClientHelloAsync(ModernClient)).ToArray();
        for (var length = 0; length < hello.Length; length++)
        {
            Assert.False(TlsClientHello.TakesEcdsaP256(hello.AsSpan(0, length)));
        }

        var random = new Random(32);
        for (var round = 0; round < 2_000; round++)
        {
            var corrupted = (byte[])hello.Clone();
            corrupted[random.Next(corrupted.Length)] = (byte)random.Next(256);
            corrupted[random.Next(corrupted.Length)] = (byte)random.Next(256);
            _ = TlsClientHello.TakesEcdsaP256(corrupted); // either answer; an exception fails the test
        }

        // A record header claiming more than TLS allows (2^14) is no ClientHello: not read, so no 64 KB per connection.
        Assert.Null(TlsClientHello.RecordLength([22, 3, 1, 0xFF, 0xFF]));
        Assert.Equal(16_384, TlsClientHello.RecordLength([22, 3, 1, 0x40, 0x00]));
    }

    [Fact(Timeout = 30_000)]
    public async Task Plain_text_after_starttls_instead_of_a_clienthello_ends_the_session_cleanly()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithBothAsync(downstream);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        Assert.StartsWith("220", await client.CommandAsync("STARTTLS"), StringComparison.Ordinal);

        await client.SendRawAsync(Encoding.ASCII.GetBytes("MAIL FROM:<no-tls@remote.test>\r\n"));
        await client.ReadToEndAsync(); // the gateway closes; it must not hang or take the command

        Assert.Equal(0, downstream.MailCommands);
    }

    [Fact]
    public void An_ecdsa_certificate_slot_holding_an_rsa_key_is_a_config_error_with_its_line()
    {
        var rsa = TestCertificates.SelfSigned();
        var other = TestCertificates.SelfSigned("CN=other.example.test");
        var yaml = $"domains: [example.test]\ntls:\n  certificate: {rsa.CertificateFile}\n  key: {rsa.KeyFile}\n  ecdsa_certificate: {other.CertificateFile}\n  ecdsa_key: {other.KeyFile}\n";

        var error = Assert.Throws<Gateway.Core.Configuration.ConfigException>(() => Gateway.Core.Configuration.GatewayOptions.Load("gateway.yaml", yaml));

        Assert.StartsWith("gateway.yaml:5: tls.ecdsa_certificate: needs an ECDSA P-256 key, not rsa", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ecdsa_certificate_without_the_rsa_one_is_a_config_error()
    {
        var ecdsa = TestCertificates.SelfSignedEcdsa();
        var yaml = $"domains: [example.test]\ntls:\n  ecdsa_certificate: {ecdsa.CertificateFile}\n  ecdsa_key: {ecdsa.KeyFile}\n";

        var error = Assert.Throws<Gateway.Core.Configuration.ConfigException>(() => Gateway.Core.Configuration.GatewayOptions.Load("gateway.yaml", yaml));

        Assert.Contains("tls.ecdsa_certificate: needs tls.certificate", error.Message, StringComparison.Ordinal);
    }

    private static Task<TestGateway> StartWithBothAsync(FakeDownstream downstream)
    {
        var rsa = TestCertificates.SelfSigned();
        var ecdsa = TestCertificates.SelfSignedEcdsa();
        return TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Tls = options.Tls with { Certificate = rsa.CertificateFile, Key = rsa.KeyFile, EcdsaCertificate = ecdsa.CertificateFile, EcdsaKey = ecdsa.KeyFile },
        });
    }

    /// <summary>EHLO, STARTTLS, a handshake with these client options, EHLO again inside TLS: the server certificate's key algorithm and that reply.</summary>
    private static async Task<(string KeyAlgorithm, string Ehlo)> StartTlsAsync(IPEndPoint gateway, SslClientAuthenticationOptions clientOptions)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway);
        var plain = tcp.GetStream();
        var reader = new StreamReader(plain, Encoding.ASCII);
        Assert.StartsWith("220", await ReplyAsync(reader), StringComparison.Ordinal);
        await plain.WriteAsync(Encoding.ASCII.GetBytes("EHLO client.example.test\r\n"));
        Assert.StartsWith("250", await ReplyAsync(reader), StringComparison.Ordinal);
        await plain.WriteAsync(Encoding.ASCII.GetBytes("STARTTLS\r\n"));
        Assert.StartsWith("220", await ReplyAsync(reader), StringComparison.Ordinal);

        await using var tls = new SslStream(plain, leaveInnerStreamOpen: true);
        await tls.AuthenticateAsClientAsync(clientOptions);
        var keyAlgorithm = tls.RemoteCertificate!.GetKeyAlgorithm();
        await tls.WriteAsync(Encoding.ASCII.GetBytes("EHLO client.example.test\r\n"));
        return (keyAlgorithm, await ReplyAsync(new StreamReader(tls, Encoding.ASCII)));
    }

    private static async Task<string> ReplyAsync(TextReader from)
    {
        string line;
        do
        {
            line = await from.ReadLineAsync() ?? throw new IOException("closed");
        }
        while (line.Length > 3 && line[3] == '-');
        return line;
    }

    /// <summary>The first TLS record a client with these options sends: read off a loopback socket that never answers.</summary>
    private static async Task<ReadOnlyMemory<byte>> CaptureClientHelloAsync(SslClientAuthenticationOptions clientOptions)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var server = await listener.AcceptTcpClientAsync();
        using var stop = new CancellationTokenSource();
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: true);
        var handshake = tls.AuthenticateAsClientAsync(clientOptions, stop.Token);

        var stream = server.GetStream();
        var header = new byte[TlsClientHello.RecordHeaderLength];
        await stream.ReadExactlyAsync(header);
        var record = new byte[header.Length + TlsClientHello.RecordLength(header)!.Value];
        header.CopyTo(record, 0);
        await stream.ReadExactlyAsync(record.AsMemory(header.Length));

        await stop.CancelAsync();
        server.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
        await tls.DisposeAsync();
        return record;
    }
}
