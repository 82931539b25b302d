using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Gateway.IntegrationTests;

/// <summary>
/// The brand fields end to end with DNS on: a brand's own mail, DKIM-signed with a key the loopback DNS
/// server publishes for its domain (and SPF and DMARC there too), against the same display name from a
/// domain that is not the brand's. Shipped rules, brands.yaml and model.
/// </summary>
public sealed class BrandOverSmtpTests
{
    private static readonly string ShippedModel = Path.Combine(RepositoryRoot.Path, "models", "spam.zip");

    private static AsymmetricCipherKeyPair RsaKeys()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), 2048));
        return generator.GenerateKeyPair();
    }

    private static async Task<byte[]> SignedAsync(string raw, AsymmetricKeyParameter key, string domain)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(TestMessages.Crlf(raw)));
        var signer = new DkimSigner(key, domain, "news") { HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed, BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        using var wire = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos; // SMTP's line ends, whatever this machine's are
        await message.WriteToAsync(format, wire);
        return [.. wire.ToArray(), .. ".\r\n"u8.ToArray()];
    }

    private static string Dhl(string from, string link) => $"""
        From: "DHL Express" <{from}>
        To: user@example.test
        Subject: Your shipment is on its way: confirm the delivery address
        Date: Mon, 07 Dec 2026 09:00:00 +0000
        Message-ID: <{Guid.NewGuid():N}@{from.Split('@')[1]}>
        MIME-Version: 1.0
        Content-Type: text/html; charset=utf-8

        <p>Your parcel 1234567890 arrives on Wednesday. Track it or change the delivery address here:
        <a href="{link}">track your parcel</a>.</p>

        """;

    private static async Task<string> SendAsync(LoopbackDnsServer dns, string mailFrom, byte[] message)
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Model = ShippedModel } }, dns: dns);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync(mailFrom, "user@example.test");
        var reply = await client.DataAsync(message);
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        return Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
    }

    /// <summary>
    /// DHL's notice From noreply@DOMAIN, DKIM-signed by DOMAIN with a key the loopback DNS server publishes beside
    /// DOMAIN's SPF (this host) and DMARC (p=reject) records; what the downstream received.
    /// </summary>
    private static async Task<string> SendSignedAsync(string domain, string link)
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        var keys = RsaKeys();
        dns.AddTxt($"news._domainkey.{domain}", "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(keys.Public).GetEncoded()));
        dns.AddTxt(domain, "v=spf1 ip4:127.0.0.0/8 -all");
        dns.AddTxt($"_dmarc.{domain}", "v=DMARC1; p=reject");
        var message = await SignedAsync(Dhl($"noreply@{domain}", link), keys.Private, domain);
        return await SendAsync(dns, $"bounce@{domain}", message);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_brands_own_signed_mail_linking_to_its_tracking_domain_passes_dmarc_and_counts_as_coherent()
    {
        // dhl-news.com: the tracking domain brands.yaml lists for DHL (an ESP's link domain of the brand's own).
        var text = await SendSignedAsync("dhl.com", "https://click.dhl-news.com/track?id=1234567890");

        Assert.Contains("dkim=pass", text, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass header.from=dhl.com", text, StringComparison.Ordinal);
        Assert.Contains("BRAND_OWN_COHERENT(", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BRAND_IMPERSONATION", text, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Flag: NO", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_same_mail_from_a_look_alike_domain_is_impersonation_even_when_its_own_dkim_and_dmarc_pass()
    {
        var text = await SendSignedAsync("dhl-parcel-delivery.test", "https://customs-fee.example/pay?id=1234567890");

        Assert.Contains("dmarc=pass header.from=dhl-parcel-delivery.test", text, StringComparison.Ordinal); // a phisher's own domain passes its own DMARC
        Assert.Contains("BRAND_IMPERSONATION(", text, StringComparison.Ordinal);
        Assert.Contains("BRAND_LINKS_ELSEWHERE(", text, StringComparison.Ordinal);
        Assert.DoesNotContain("BRAND_OWN_COHERENT", text, StringComparison.Ordinal);
    }
}
