using Gateway.Core.Configuration;

namespace Gateway.IntegrationTests;

/// <summary>
/// TLS from the gateway to a real Postfix whose certificate a test CA issued: opportunistic encrypts
/// whatever the certificate; required delivers only over a verified (or pinned) one, and otherwise answers
/// 451 4.7.5 and sends nothing in clear.
/// </summary>
public sealed class DownstreamTlsTests
{
    private static async Task<(string Rcpt, string? Data)> SendAsync(PostfixServer postfix, Func<DownstreamOptions, DownstreamOptions> tls)
    {
        await using var gateway = await TestGateway.StartAsync(postfix.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false }, Downstream = tls(options.Downstream) });
        for (var attempt = 1; ; attempt++)
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            var rcpt = (await client.EnvelopeAsync("sender@remote.test", "user@example.test"))[0];
            // A Postfix started on a loaded machine once took longer than downstream.timeout (30 s) to answer its
            // first session: the client was told 451 4.4.7, as it should be, and retries as an MTA would.
            if (rcpt.StartsWith("451 4.4.7", StringComparison.Ordinal) && attempt < 3)
            {
                continue;
            }

            var data = rcpt.StartsWith("250", StringComparison.Ordinal) ? await client.DataAsync(TestMessages.Wire("over tls")) : null;
            return (rcpt, data);
        }
    }

    public enum Pin
    {
        Nothing,
        TestCa,
        RightFingerprint,
        WrongFingerprint,
        MissingCaFile,
    }

    [Theory(Timeout = 120_000)]
    [InlineData(DownstreamTls.Opportunistic, Pin.Nothing, true)]
    [InlineData(DownstreamTls.Required, Pin.TestCa, true)]
    [InlineData(DownstreamTls.Required, Pin.RightFingerprint, true)]
    [InlineData(DownstreamTls.Required, Pin.Nothing, false)] // the system store does not know the test CA
    [InlineData(DownstreamTls.Required, Pin.WrongFingerprint, false)]
    [InlineData(DownstreamTls.Required, Pin.MissingCaFile, false)] // removed while running: a TLS failure, not a lost connection
    public async Task Mail_goes_over_tls_only_as_far_as_the_certificate_is_trusted(DownstreamTls mode, Pin pin, bool delivered)
    {
        var certificate = TestCertificates.IssuedByTestCa();
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(CertificateFile: certificate.CertificateFile, KeyFile: certificate.KeyFile));

        var (rcpt, data) = await SendAsync(postfix, downstream => downstream with
            {
                Tls = mode,
                TlsCaFile = pin switch
            {
                Pin.TestCa => certificate.CaFile,
                Pin.MissingCaFile => Path.Combine(Directory.CreateTempSubdirectory("ca-").FullName, "gone.pem"),
                _ => null,
            },
                TlsFingerprint = pin switch
            {
                Pin.RightFingerprint => certificate.Sha256,
                Pin.WrongFingerprint => new string('A', 64),
                _ => null,
            },
            });

        if (delivered)
        {
            Assert.StartsWith("250", rcpt, StringComparison.Ordinal);
            Assert.StartsWith("250", data, StringComparison.Ordinal);
            var message = Assert.Single(await sink.WaitForMessagesAsync(1)).Message;
            Assert.Matches(@"by mailbox\.example\.test \(Postfix\) with ESMTPS", message);
        }
        else
        {
            Assert.StartsWith("451 4.7.5", rcpt, StringComparison.Ordinal);
            Assert.DoesNotContain("from=<sender@remote.test>", postfix.Log, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Required_tls_to_a_server_without_starttls_gets_451_4_7_5_and_nothing_in_clear()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint);

        var (rcpt, _) = await SendAsync(postfix, downstream => downstream with { Tls = DownstreamTls.Required });

        Assert.StartsWith("451 4.7.5", rcpt, StringComparison.Ordinal);
        Assert.DoesNotContain("from=<sender@remote.test>", postfix.Log, StringComparison.Ordinal);
    }
}
