using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.IntegrationTests;

/// <summary>The DNS list check over the real resolver (DnsClient) against a real DNS server on loopback.</summary>
public sealed class DnsListLookupTests
{
    private static DnsListDefinition IpList() => new()
    {
        Name = "BL",
        Zone = "bl.test",
        Enabled = true,
        Codes =
        {
            ["127.0.0.2"] = new DnsListMeaning { Symbol = "BL_SBL", Score = 4 },
            ["127.0.0.4"] = new DnsListMeaning { Symbol = "BL_XBL", Score = 6 },
        },
    };

    private static async Task<MessageContext> RunAsync(LoopbackDnsServer dns, string client, DnsListDefinition list, string raw = "From: a@sender.test\r\n\r\nbody\r\n", TimeSpan? timeout = null)
    {
        var context = new MessageContext
        {
            SessionId = "t",
            Envelope = new Envelope(IPAddress.Parse(client), "mail.sender.test", "bounce@sender.test", ["user@example.test"]),
            RawMessage = Encoding.UTF8.GetBytes(raw),
            Message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw))),
        };
        context.UseDnsLists(new DnsListsFile { Lists = [list] });
        await new DnsListCheck(new DnsClientResolver(dns.Options(timeout))).RunAsync(context, CancellationToken.None);
        return context;
    }

    private static string[] Symbols(MessageContext context) => [.. context.Symbols.Select(symbol => symbol.Name).Order(StringComparer.Ordinal)];

    [Fact(Timeout = 30_000)]
    public async Task Listed_clean_and_several_codes()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("7.2.0.192.bl.test", "127.0.0.2");
        dns.AddA("8.2.0.192.bl.test", "127.0.0.2");
        dns.AddA("8.2.0.192.bl.test", "127.0.0.4");

        Assert.Equal(["BL_SBL"], Symbols(await RunAsync(dns, "192.0.2.7", IpList())));
        Assert.Equal(["BL_SBL", "BL_XBL"], Symbols(await RunAsync(dns, "192.0.2.8", IpList())));
        Assert.Empty(Symbols(await RunAsync(dns, "192.0.2.9", IpList())));
        Assert.Contains("9.2.0.192.bl.test A", dns.Queries);
    }

    [Fact(Timeout = 30_000)]
    public async Task The_resolver_asks_once_per_ttl_and_never_keeps_a_timeout()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("7.2.0.192.bl.test", "127.0.0.2");
        dns.AddTimeout("8.2.0.192.bl.test");
        var resolver = new DnsClientResolver(dns.Options(TimeSpan.FromSeconds(1)));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(DnsStatus.Ok, (await resolver.QueryAddressesAsync("7.2.0.192.bl.test", ipv6: false, CancellationToken.None)).Status);
            Assert.Equal(DnsStatus.TempError, (await resolver.QueryAddressesAsync("8.2.0.192.bl.test", ipv6: false, CancellationToken.None)).Status);
        }

        Assert.Single(dns.Queries, query => query == "7.2.0.192.bl.test A");
        Assert.Equal(1, resolver.CachedAnswers);
    }

    [Fact(Timeout = 30_000)]
    public async Task Askers_of_a_name_already_on_the_wire_wait_for_that_query_and_one_leaving_does_not_fail_the_rest()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTimeout("alone.bl.test");
        dns.AddTimeout("crowd.bl.test");
        var resolver = new DnsClientResolver(dns.Options(TimeSpan.FromMilliseconds(500)));
        await resolver.QueryAddressesAsync("alone.bl.test", ipv6: false, CancellationToken.None);
        var oneAsker = dns.Queries.Count(query => query == "alone.bl.test A"); // with its retry

        using var leaving = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var left = resolver.QueryAddressesAsync("crowd.bl.test", ipv6: false, leaving.Token);
        var staying = Enumerable.Range(0, 20).Select(_ => resolver.QueryAddressesAsync("crowd.bl.test", ipv6: false, CancellationToken.None)).ToList();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => left);
        Assert.All(await Task.WhenAll(staying), answer => Assert.Equal(DnsStatus.TempError, answer.Status));
        Assert.Equal(oneAsker, dns.Queries.Count(query => query == "crowd.bl.test A"));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_allow_list_vouches_only_with_a_negative_score_and_never_on_an_error()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("7.2.0.192.wl.test", "127.0.5.2");
        dns.AddA("8.2.0.192.wl.test", "127.0.5.0");
        dns.AddA("9.2.0.192.wl.test", "127.255.255.254");
        var allow = new DnsListDefinition
        {
            Name = "WL",
            Zone = "wl.test",
            Enabled = true,
            Codes = { ["127.0.5.2"] = new DnsListMeaning { Symbol = "WL_MED", Score = -2 }, ["127.0.5.0"] = new DnsListMeaning { Symbol = "WL_NONE", Score = 0 } },
        };
        var policy = new ScoringPolicy(new ActionsFile(), new SymbolsFile(), lists: new DnsListsFile { Lists = [allow, IpList()] });
        var resolver = new DnsClientResolver(dns.Options());

        Task<bool> VouchesAsync(string client) => DnsListRefusal.IsAllowListedAsync(resolver, policy.Lists, policy.WeightOf, IPAddress.Parse(client), CancellationToken.None);

        Assert.True(await VouchesAsync("192.0.2.7"));
        Assert.False(await VouchesAsync("192.0.2.8"));
        Assert.False(await VouchesAsync("192.0.2.9"));
        Assert.False(await VouchesAsync("192.0.2.10"));
        Assert.DoesNotContain(dns.Queries, query => query.EndsWith("bl.test A", StringComparison.Ordinal)); // block lists are not asked
    }

    [Fact(Timeout = 30_000)]
    public async Task A_bitmask_answer_gives_each_bit()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("7.2.0.192.bits.test", "127.0.0.24"); // bits 8 and 16
        var list = new DnsListDefinition
        {
            Name = "BITS",
            Zone = "bits.test",
            Enabled = true,
            Bitmask = { [8] = new DnsListMeaning { Symbol = "BITS_PH" }, [16] = new DnsListMeaning { Symbol = "BITS_MW" }, [64] = new DnsListMeaning { Symbol = "BITS_ABUSE" } },
        };

        Assert.Equal(["BITS_MW", "BITS_PH"], Symbols(await RunAsync(dns, "192.0.2.7", list)));
    }

    [Fact(Timeout = 30_000)]
    public async Task An_ipv6_client_is_asked_in_nibble_form()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test", "127.0.0.4");

        Assert.Equal(["BL_XBL"], Symbols(await RunAsync(dns, "2001:db8::1", IpList())));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_timeout_and_an_error_answer_are_errors_never_listings()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTimeout("7.2.0.192.bl.test");
        dns.AddA("8.2.0.192.bl.test", "127.255.255.254"); // Spamhaus: query via a public resolver refused

        Assert.Equal(["BL_ERROR"], Symbols(await RunAsync(dns, "192.0.2.7", IpList(), timeout: TimeSpan.FromMilliseconds(300))));
        var refused = await RunAsync(dns, "192.0.2.8", IpList());
        Assert.Equal(["BL_ERROR"], Symbols(refused));
        Assert.Equal(0.0, new ScoringPolicy(new ActionsFile(), new SymbolsFile(), lists: refused.DnsLists).WeightOf("BL_ERROR"));
    }

    [Fact(Timeout = 30_000)]
    public async Task Url_domains_from_html_and_quoted_printable_are_deobfuscated_reduced_and_asked()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("phish.co.uk.dbl.test", "127.0.0.2");
        var list = new DnsListDefinition { Name = "DBL", Zone = "dbl.test", Kind = DnsListKind.Domain, Enabled = true, Codes = { ["127.0.0.2"] = new DnsListMeaning { Symbol = "DBL_SPAM", Score = 5 } } };
        var raw = """
            From: a@from.test
            Content-Type: multipart/alternative; boundary="b"

            --b
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            Log in at hxxps://login.secure.phish[.]co.uk/x or http://b=C3=BCcher.test/ or http://bank.test@=
            trap.test/
            --b
            Content-Type: text/html

            <a href="http&#58;//www.hidden.test/a">http://shown.test</a>
            --b--
            """.ReplaceLineEndings("\r\n");

        var context = await RunAsync(dns, "192.0.2.7", list, raw);

        Assert.Equal(["DBL_SPAM"], Symbols(context));
        foreach (var asked in new[] { "phish.co.uk", "xn--bcher-kva.test", "trap.test", "hidden.test", "shown.test", "from.test", "sender.test" })
        {
            Assert.Contains($"{asked}.dbl.test A", dns.Queries);
        }

        Assert.DoesNotContain("bank.test.dbl.test A", dns.Queries);
        Assert.DoesNotContain("login.secure.phish.co.uk.dbl.test A", dns.Queries);
    }
}
