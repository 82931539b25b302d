using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace Gateway.IntegrationTests;

public sealed class StartTlsTests
{
    [Fact(Timeout = 30_000)]
    public async Task With_a_certificate_ehlo_offers_starttls_and_mail_flows_encrypted()
    {
        var (certificate, key) = WriteSelfSignedPem();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithCertificateAsync(downstream, certificate, key);

        using var client = new SmtpClient { Timeout = 20_000, ServerCertificateValidationCallback = (_, _, _, _) => true };
        await client.ConnectAsync("127.0.0.1", gateway.EndPoint.Port, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        await client.SendAsync(TestMessages.Create(subject: "over tls"));
        await client.DisconnectAsync(quit: true);

        var text = Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("with ESMTPS id", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task An_ecdsa_p256_certificate_is_served_and_mail_flows()
    {
        var pem = TestCertificates.SelfSignedEcdsa();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithCertificateAsync(downstream, pem.CertificateFile, pem.KeyFile);
        string? keyAlgorithm = null;

        using var client = new SmtpClient { Timeout = 20_000, ServerCertificateValidationCallback = (_, certificate, _, _) => { keyAlgorithm = certificate?.GetKeyAlgorithm(); return true; } };
        await client.ConnectAsync("127.0.0.1", gateway.EndPoint.Port, SecureSocketOptions.StartTls);
        await client.SendAsync(TestMessages.Create(subject: "over ecdsa"));
        await client.DisconnectAsync(quit: true);

        Assert.Equal("1.2.840.10045.2.1", keyAlgorithm); // id-ecPublicKey
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_renewed_certificate_is_used_from_the_next_handshake_without_a_restart()
    {
        var (certificate, key) = WriteSelfSignedPem("CN=first.example.test");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithCertificateAsync(downstream, certificate, key);
        Assert.Equal("CN=first.example.test", await PresentedSubjectAsync(gateway.EndPoint));

        var (renewed, renewedKey) = WriteSelfSignedPem("CN=renewed.example.test");
        File.Copy(renewed, certificate, overwrite: true);
        File.Copy(renewedKey, key, overwrite: true);
        File.SetLastWriteTimeUtc(certificate, DateTime.UtcNow.AddSeconds(5)); // a clock tick apart, whatever the file system's resolution
        File.SetLastWriteTimeUtc(key, DateTime.UtcNow.AddSeconds(5));

        Assert.Equal("CN=renewed.example.test", await PresentedSubjectAsync(gateway.EndPoint));
    }

    [Theory(Timeout = 30_000)]
    [InlineData("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")]
    [InlineData("")]
    [InlineData("\0\0\0")]
    public async Task A_broken_renewal_keeps_the_previous_certificate(string broken)
    {
        var (certificate, key) = WriteSelfSignedPem("CN=first.example.test");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithCertificateAsync(downstream, certificate, key);
        Assert.Equal("CN=first.example.test", await PresentedSubjectAsync(gateway.EndPoint));

        File.WriteAllText(certificate, broken);
        File.SetLastWriteTimeUtc(certificate, DateTime.UtcNow.AddSeconds(5));

        Assert.Equal("CN=first.example.test", await PresentedSubjectAsync(gateway.EndPoint));
    }

    private static Task<TestGateway> StartWithCertificateAsync(FakeDownstream downstream, string certificate, string key, Func<Gateway.Core.Configuration.GatewayOptions, Gateway.Core.Configuration.GatewayOptions>? configure = null) =>
        TestGateway.StartAsync(downstream.EndPoint, options =>
        {
            var withCertificate = options with { Tls = options.Tls with { Certificate = certificate, Key = key } };
            return configure?.Invoke(withCertificate) ?? withCertificate;
        });

    private static async Task<string?> PresentedSubjectAsync(IPEndPoint gateway)
    {
        string? subject = null;
        using var client = new SmtpClient
        {
            Timeout = 20_000,
            ServerCertificateValidationCallback = (_, presented, _, _) =>
            {
                subject = presented?.Subject;
                return true;
            },
        };
        await client.ConnectAsync("127.0.0.1", gateway.Port, SecureSocketOptions.StartTls);
        await client.DisconnectAsync(quit: true);
        return subject;
    }

    [Fact]
    public void A_missing_certificate_file_is_a_config_error_with_its_line()
    {
        var yaml = "domains: [example.test]\ntls:\n  certificate: /nonexistent/cert.pem\n";

        var error = Assert.Throws<Gateway.Core.Configuration.ConfigException>(() => Gateway.Core.Configuration.GatewayOptions.Load("gateway.yaml", yaml));

        Assert.StartsWith("gateway.yaml:3: tls.certificate: cannot load certificate and key", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_client_that_never_starts_the_handshake_is_dropped_after_the_command_timeout()
    {
        var (certificate, key) = WriteSelfSignedPem();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithCertificateAsync(downstream, certificate, key, options => options with
            {
                Limits = options.Limits with { CommandTimeout = TimeSpan.FromSeconds(2), SessionTimeout = TimeSpan.FromMinutes(30) },
            });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        Assert.StartsWith("220", await client.CommandAsync("STARTTLS"), StringComparison.Ordinal);
        // Returns once the gateway closes the connection (whatever plaintext it says first); throws if it is
        // still open after 30 s (it used to wait for the 30-minute session timeout).
        await client.ReadToEndAsync();
    }

    [Fact(Timeout = 30_000)]
    public async Task The_intermediates_of_a_fullchain_file_are_sent_with_the_certificate()
    {
        var issued = TestCertificates.IssuedByIntermediate();
        await using var downstream = await FakeDownstream.StartAsync();

        Assert.Equal(["CN=mailbox.example.test", "CN=Gateway Test Intermediate"], await PresentedChainAsync(downstream, issued.CertificateFile, issued.KeyFile));
    }

    /// <summary>The subjects of the certificates the gateway sent in its handshake: the leaf, then what the client got to build its chain from.</summary>
    private static async Task<IReadOnlyList<string>> PresentedChainAsync(FakeDownstream downstream, string certificate, string key)
    {
        await using var gateway = await StartWithCertificateAsync(downstream, certificate, key);
        var subjects = new List<string>();
        using var client = new SmtpClient
        {
            Timeout = 20_000,
            ServerCertificateValidationCallback = (_, presented, chain, _) =>
            {
                subjects.Add(presented!.Subject);
                subjects.AddRange(chain!.ChainPolicy.ExtraStore.Select(extra => extra.Subject));
                return true;
            },
        };
        await client.ConnectAsync("127.0.0.1", gateway.EndPoint.Port, SecureSocketOptions.StartTls);
        await client.DisconnectAsync(quit: true);
        return [.. subjects.Distinct()];
    }

    private static (string Certificate, string Key) WriteSelfSignedPem(string subject = "CN=gateway.example.test")
    {
        var pem = TestCertificates.SelfSigned(subject);
        return (pem.CertificateFile, pem.KeyFile);
    }

    /// <summary>
    /// STARTTLS command injection (Postfix's CVE-2011-0411): commands pipelined in clear text behind STARTTLS,
    /// in the same packet, must not be run as if they came inside TLS.
    /// </summary>
    [Fact(Timeout = 30_000)]
    public async Task Commands_sent_in_clear_text_behind_starttls_are_not_run_inside_tls()
    {
        var (certificate, key) = WriteSelfSignedPem();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartWithCertificateAsync(downstream, certificate, key);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(gateway.EndPoint);
        var plain = tcp.GetStream();
        var reader = new StreamReader(plain, Encoding.ASCII);
        async Task<string> ReplyAsync(TextReader from)
        {
            string line;
            do
            {
                line = await from.ReadLineAsync() ?? throw new IOException("closed");
            }
            while (line.Length > 3 && line[3] == '-');
            return line;
        }

        Assert.StartsWith("220", await ReplyAsync(reader), StringComparison.Ordinal);
        await plain.WriteAsync(Encoding.ASCII.GetBytes("EHLO client.example.test\r\n"));
        Assert.StartsWith("250", await ReplyAsync(reader), StringComparison.Ordinal);
        await plain.WriteAsync(Encoding.ASCII.GetBytes("STARTTLS\r\nMAIL FROM:<injected@remote.test>\r\n"));
        Assert.StartsWith("220", await ReplyAsync(reader), StringComparison.Ordinal);

        await using var tls = new System.Net.Security.SslStream(plain, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("gateway.example.test");
        var secure = new StreamReader(tls, Encoding.ASCII);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("EHLO client.example.test\r\n"));
        var ehlo = await ReplyAsync(secure);
        await tls.WriteAsync(Encoding.ASCII.GetBytes("MAIL FROM:<real@remote.test>\r\n"));
        var mail = await ReplyAsync(secure);

        // Had the injected MAIL run inside TLS, its 250 would answer our EHLO, or our MAIL would be a nested one (503).
        Assert.StartsWith("250", ehlo, StringComparison.Ordinal);
        Assert.DoesNotContain("2.1.0", ehlo, StringComparison.Ordinal);
        Assert.StartsWith("250", mail, StringComparison.Ordinal);
    }
}
