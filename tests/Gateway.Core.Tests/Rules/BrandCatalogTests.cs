using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Rules.Brands;
using MimeKit;

namespace Gateway.Core.Tests.Rules;

/// <summary>rules/brands.yaml and what the brand.* fields make of a message: look-alikes, co-branded senders, bulk services, the brand's own mail.</summary>
public sealed class BrandCatalogTests
{
    private static readonly Lazy<BrandCatalog> Shipped = new(() =>
    {
        var errors = new List<string>();
        var catalog = BrandCatalog.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"), errors);
        Assert.Empty(errors);
        return catalog;
    });

    private static BrandFacts Facts(string headers, string body = "hello\r\n")
    {
        var raw = Encoding.UTF8.GetBytes(headers.ReplaceLineEndings("\r\n") + "\r\n" + body);
        var context = new MessageContext { SessionId = "test", Envelope = new Envelope(IPAddress.Loopback, "helo.test", "s@x.test", ["u@example.test"]), RawMessage = raw, Message = MimeMessage.Load(new MemoryStream(raw)) };
        return BrandFacts.Of(context, Shipped.Value);
    }

    private static string[] Names(IReadOnlyList<Brand> brands) => [.. brands.Select(brand => brand.Name)];

    [Fact]
    public void The_shipped_file_loads_with_at_least_200_brands()
    {
        Assert.True(Shipped.Value.Brands.Count >= 200, $"{Shipped.Value.Brands.Count} brands");
        Assert.Contains(Shipped.Value.Brands, brand => brand.Name == "DHL" && brand.Owns("mail.dhl.de"));
    }

    [Theory]
    [InlineData("From: PayPal Service <service@paypal.com>\nSubject: Your receipt\n", new string[0])]
    [InlineData("From: PayPal Service <security@paypa1-support.top>\nSubject: hello\n", new[] { "PayPal" })]
    [InlineData("From: Greetings WaImart <greetings@securewealth.bond>\nSubject: points\n", new[] { "Walmart" })]
    [InlineData("From: BlueShield BlueCross <x@grupocallcenter.com>\nSubject: plan\n", new[] { "Blue Shield" })]
    [InlineData("From: =?UTF-8?B?8J2WoPCdlqDwnZax8J2WryDwnZas8J2WvvCdl4bwnZa78J2WvvCdl4vwnZeM8J2XgfCdl4LwnZeJ?= <b@msudairy.com>\nSubject: sale\n", new[] { "AARP" })]
    [InlineData("From: Support <help@example-shop.test>\nSubject: Your Microsoft account is suspended\n", new[] { "Microsoft" })]
    [InlineData("From: Support <help@example-shop.test>\nSubject: Your order shipped with DHL\n", new string[0])] // no account lure: shops name carriers
    [InlineData("From: Amazon Benefits at Fidelity <benefits@fidelity.com>\nSubject: account\n", new string[0])] // co-branded
    [InlineData("From: Disney+ <disneyplus@sparkpostmail.com>\nSubject: Stream on\n", new string[0])] // a bulk service's shared domain
    [InlineData("From: 'Slack' via Jailhouse <jailhouse-dev@googlegroups.com>\nSubject: invited\n", new string[0])] // a list's rewritten From
    [InlineData("From: Luke Kim <luke@spiceai.io>\nSubject: verify the patch\n", new string[0])] // Kim is no KLM
    [InlineData("From: CVS Processing Team <noreply@legaloffers.onmicrosoft.com>\nSubject: kit\n", new[] { "CVS" })] // anyone's Microsoft 365 tenant
    [InlineData("From: Microsoft 365 <admin@contoso-billing.onmicrosoft.com>\nSubject: hello\n", new[] { "Microsoft" })]
    [InlineData("From: Andreas Schwab <schwab@linux-m68k.org>\nSubject: Re: login\n", new string[0])]
    public void A_claimed_brand_whose_domain_the_sender_lacks_is_impersonated(string headers, string[] impersonated)
    {
        Assert.Equal(impersonated, Names(Facts(headers).Impersonated));
    }

    [Fact]
    public void Links_elsewhere_needs_links_to_neither_the_brand_nor_the_sender()
    {
        var elsewhere = Facts("From: DHL Express <noreply@parcel-fee.top>\nSubject: customs\nContent-Type: text/html\n", "<a href=\"https://pay-fee.example.top/x\">pay</a>\r\n");
        var toBrand = Facts("From: DHL Express <noreply@parcel-fee.top>\nSubject: customs\nContent-Type: text/html\n", "<a href=\"https://www.dhl.com/track\">track</a>\r\n");
        var own = Facts("From: DHL Express <noreply@dhl.com>\nSubject: customs\nContent-Type: text/html\n", "<a href=\"https://elsewhere.test/\">x</a>\r\n");

        Assert.Equal(["DHL"], Names(elsewhere.LinksElsewhere));
        Assert.Empty(toBrand.LinksElsewhere);
        Assert.Empty(own.LinksElsewhere);
        Assert.Equal(["DHL"], Names(own.Own));
        Assert.Empty(own.Coherent); // its link leads elsewhere
        Assert.Equal(["DHL"], Names(Facts("From: DHL Express <noreply@dhl.com>\nSubject: customs\nContent-Type: text/html\n", "<a href=\"https://www.dhl.com/track\">x</a>\r\n").Coherent));
        Assert.Empty(Facts("From: DHL Express <noreply@dhl.com>\nReply-To: claims@parcel-fee.top\nSubject: customs\nContent-Type: text/html\n", "<a href=\"https://www.dhl.com/track\">x</a>\r\n").Coherent);
        Assert.Equal(1, elsewhere.LinkOrganisations);
    }

    [Fact]
    public void A_malformed_entry_is_refused_with_file_and_line()
    {
        var folder = Directory.CreateTempSubdirectory("brands-").FullName;
        File.WriteAllText(Path.Combine(folder, BrandCatalog.FileName), "brands:\n  - name: Good\n    names: [good]\n    domains: [good.test]\n  - name: Bad\n    names: [bad]\n    domains: [https://bad.test/login]\n  - name: Nameless\n    domains: [x.test]\n");
        var errors = new List<string>();

        BrandCatalog.LoadFolder(folder, errors);

        Assert.Contains(errors, error => error.Contains("brands.yaml:5:", StringComparison.Ordinal) && error.Contains("is not a domain", StringComparison.Ordinal));
        Assert.Contains(errors, error => error.Contains("brands.yaml:8:", StringComparison.Ordinal) && error.Contains("needs names or exact", StringComparison.Ordinal));
    }
}
