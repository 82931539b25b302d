using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Scoring;
using Gateway.Core.Tests.Dns;
using MimeKit;

namespace Gateway.Core.Tests.Reputation;

public sealed class DnsListCheckTests
{
    private static DnsListDefinition List(string name, string zone, DnsListKind kind = DnsListKind.Ip) => new()
    {
        Name = name,
        Zone = zone,
        Kind = kind,
        Enabled = true,
        Codes = { ["127.0.0.2"] = new DnsListMeaning { Symbol = name + "_SBL", Score = 4 }, ["127.0.0.4"] = new DnsListMeaning { Symbol = name + "_XBL", Score = 6 } },
    };

    private static async Task<MessageContext> RunAsync(FakeDnsResolver dns, string client, string raw = "From: a@sender.test\r\n\r\nbody\r\n", params DnsListDefinition[] lists)
    {
        var policy = new ScoringPolicy(new ActionsFile(), new SymbolsFile(), lists: new DnsListsFile { Lists = [.. lists] });
        var context = new MessageContext
        {
            SessionId = "t",
            Envelope = new Envelope(IPAddress.Parse(client), "mail.sender.test", "bounce@sender.test", ["user@example.test"]),
            RawMessage = Encoding.ASCII.GetBytes(raw),
            Message = MimeMessage.Load(new MemoryStream(Encoding.ASCII.GetBytes(raw))),
        };
        policy.Lend(context);
        await new DnsListCheck(dns).RunAsync(context, CancellationToken.None);
        return context;
    }

    /// <summary>A symbol's weight under the lists the check was given.</summary>
    private static double WeightOf(MessageContext context, string symbol) =>
        new ScoringPolicy(new ActionsFile(), new SymbolsFile(), lists: context.DnsLists).WeightOf(symbol);

    [Fact]
    public async Task A_listed_address_gets_the_symbol_of_its_code_and_its_score()
    {
        var dns = new FakeDnsResolver().A("7.2.0.192.bl.test", "127.0.0.2");

        var context = await RunAsync(dns, "192.0.2.7", lists: List("BL", "bl.test"));

        Assert.Equal("BL_SBL", Assert.Single(context.Symbols).Name);
        Assert.Equal(4.0, WeightOf(context, "BL_SBL"));
    }

    [Fact]
    public async Task Several_codes_give_several_symbols_and_an_unknown_code_is_listed()
    {
        var dns = new FakeDnsResolver().A("7.2.0.192.bl.test", "127.0.0.2").A("7.2.0.192.bl.test", "127.0.0.4").A("7.2.0.192.bl.test", "127.0.0.99");

        var context = await RunAsync(dns, "192.0.2.7", lists: List("BL", "bl.test"));

        Assert.Equal(["BL_LISTED", "BL_SBL", "BL_XBL"], context.Symbols.Select(symbol => symbol.Name).Order());
    }

    [Fact]
    public async Task A_clean_address_gets_nothing()
    {
        Assert.Empty((await RunAsync(new FakeDnsResolver(), "192.0.2.8", lists: List("BL", "bl.test"))).Symbols);
    }

    [Fact]
    public async Task Bitmask_lists_report_each_bit()
    {
        var list = new DnsListDefinition
        {
            Name = "MULTI", Zone = "multi.test", Kind = DnsListKind.Domain, Enabled = true,
            Bitmask = { [8] = new DnsListMeaning { Symbol = "MULTI_PH", Score = 5 }, [16] = new DnsListMeaning { Symbol = "MULTI_MW", Score = 5 }, [64] = new DnsListMeaning { Symbol = "MULTI_ABUSE", Score = 4 } },
        };
        var dns = new FakeDnsResolver().A("evil.test.multi.test", "127.0.0.24");

        var context = await RunAsync(dns, "192.0.2.7", "From: a@sender.test\r\n\r\nclick http://evil.test/x\r\n", list);

        Assert.Equal(["MULTI_MW", "MULTI_PH"], context.Symbols.Select(symbol => symbol.Name).Order());
    }

    [Fact]
    public async Task Ipv6_clients_are_queried_as_reversed_nibbles()
    {
        const string name = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test";
        var dns = new FakeDnsResolver().A(name, "127.0.0.4");

        var context = await RunAsync(dns, "2001:db8::1", lists: List("BL", "bl.test"));

        Assert.Equal("BL_XBL", Assert.Single(context.Symbols).Name);
        Assert.Equal(name[..^8], Gateway.Core.Dns.ReverseDns.ReversedLabels(IPAddress.Parse("2001:db8::1")));
    }

    [Theory]
    [InlineData("127.255.255.254")]
    [InlineData("127.255.255.252")]
    [InlineData("10.0.0.1")]
    public async Task Error_answers_are_never_listings(string answer)
    {
        var dns = new FakeDnsResolver().A("7.2.0.192.bl.test", answer);

        var context = await RunAsync(dns, "192.0.2.7", lists: List("BL", "bl.test"));

        Assert.Equal("BL_ERROR", Assert.Single(context.Symbols).Name);
        Assert.Equal(0.0, WeightOf(context, "BL_ERROR"));
    }

    [Fact]
    public async Task Dns_trouble_is_an_error_symbol()
    {
        var dns = new FakeDnsResolver().Failing("7.2.0.192.bl.test");

        var context = await RunAsync(dns, "192.0.2.7", lists: List("BL", "bl.test"));

        Assert.Equal("BL_ERROR", Assert.Single(context.Symbols).Name);
    }

    [Fact]
    public async Task Domain_lists_query_url_sender_from_and_helo_domains()
    {
        var dns = new FakeDnsResolver().A("phish.test.dbl.test", "127.0.0.2");

        var context = await RunAsync(dns, "192.0.2.7", "From: a@from.test\r\nContent-Type: text/html\r\n\r\n<a href=\"https://user@phish.test/login\">x</a>\r\n", List("DBL", "dbl.test", DnsListKind.Domain));

        Assert.Equal("DBL_SBL", Assert.Single(context.Symbols).Name);
        Assert.Contains("phish.test.dbl.test", dns.Queries);
        Assert.Contains("from.test.dbl.test", dns.Queries);
        Assert.Contains("sender.test.dbl.test", dns.Queries); // envelope sender, and HELO mail.sender.test reduced
        Assert.DoesNotContain("mail.sender.test.dbl.test", dns.Queries);
    }

    [Fact]
    public void The_shipped_lists_are_valid_and_all_off()
    {
        var policy = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

        Assert.NotEmpty(policy.Lists.Lists);
        Assert.All(policy.Lists.Lists, list => Assert.False(list.Enabled));
    }
}
