using System.Text.Json;

namespace Gateway.IntegrationTests.Authentication;

/// <summary>Sender authentication end to end: real SMTP client, gateway, loopback DNS and a downstream.</summary>
public sealed class AuthenticationOverSmtpTests
{
    private static async Task<LoopbackDnsServer> ZoneAsync()
    {
        var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("bank.test", "v=spf1 ip4:192.0.2.1 -all");
        dns.AddTxt("_dmarc.bank.test", "v=DMARC1; p=reject");
        dns.AddTxt("good.test", "v=spf1 ip4:127.0.0.0/8 -all");
        dns.AddTxt("_dmarc.good.test", "v=DMARC1; p=reject");
        return dns;
    }

    private static byte[] Message(string from, string extraHeaders = "") =>
        TestMessages.Crlf($"{extraHeaders}From: {from}\nTo: user@example.test\nSubject: auth\n\nbody\n.\n");

    [Fact(Timeout = 30_000)]
    public async Task A_dmarc_p_reject_failure_is_refused_in_session_with_550_5_7_1()
    {
        await using var dns = await ZoneAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, dns: dns);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("ceo@bank.test", "user@example.test");
        var reply = await client.DataAsync(Message("ceo@bank.test"));

        Assert.StartsWith("550 5.7.1 Message rejected: the DMARC policy of bank.test rejects", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_p_reject_domain_hidden_among_hundreds_of_from_domains_is_refused_without_their_lookups()
    {
        await using var dns = await ZoneAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, dns: dns);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        var from = string.Join(", ", ["ceo@bank.test", .. Enumerable.Range(1, 300).Select(i => $"a@x{i}.test")]);

        await client.EnvelopeAsync("ceo@bank.test", "user@example.test");
        var reply = await client.DataAsync(Message(from));

        Assert.StartsWith("550 5.7.1 Message rejected: the From field names 301 domains; at most 5 are evaluated", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
        Assert.DoesNotContain(dns.Queries, query => query.Contains("x1.test", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_pass_is_forwarded_with_our_authentication_results_and_forged_ones_removed()
    {
        await using var dns = await ZoneAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, dns: dns);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("news@good.test", "user@example.test");
        var reply = await client.DataAsync(Message("news@good.test", "Authentication-Results: gateway.example.test; dmarc=pass header.from=bank.test\n"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("Authentication-Results: gateway.example.test;\r\n\tspf=pass", text, StringComparison.Ordinal);
        Assert.Contains("smtp.mailfrom=news@good.test", text, StringComparison.Ordinal);
        Assert.Contains("dkim=none", text, StringComparison.Ordinal);
        Assert.Contains("dmarc=pass header.from=good.test", text, StringComparison.Ordinal);
        Assert.DoesNotContain("header.from=bank.test", text, StringComparison.Ordinal);
        Assert.Contains("DMARC_PASS(", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Offline_asks_no_dns_and_claims_no_authentication_results()
    {
        await using var dns = await ZoneAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, dns: dns, offline: true);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("ceo@bank.test", "user@example.test");
        var reply = await client.DataAsync(Message("ceo@bank.test"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.Empty(dns.Queries);
        Assert.DoesNotContain("Authentication-Results", Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Dns_trouble_never_rejects()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTimeout("slow.test");
        dns.AddTimeout("_dmarc.slow.test");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Dns = options.Dns with { Timeout = TimeSpan.FromMilliseconds(300) } }, dns: dns);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("a@slow.test", "user@example.test");
        var reply = await client.DataAsync(Message("a@slow.test"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("spf=temperror", text, StringComparison.Ordinal);
        Assert.Contains("dmarc=temperror", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Gateway_check_json_shows_the_four_results()
    {
        await using var dns = await ZoneAsync();
        var folder = Directory.CreateTempSubdirectory("auth-check-").FullName;
        var config = Path.Combine(folder, "gateway.yaml");
        File.WriteAllText(config, $"domains: [example.test]\ndns:\n  servers: [\"{dns.EndPoint}\"]\nrules: {RepositoryRoot.Rules}\nmetrics:\n  listen: \"\"\n");
        var message = Path.Combine(folder, "bank.eml");
        File.WriteAllBytes(message, Message("ceo@bank.test")[..^3]);
        var output = new StringWriter();
        var error = new StringWriter();

        var exitCode = await Program.RunAsync(["check", "--json", "--config", config, "--ip", "198.51.100.7", "--from", "ceo@bank.test", message], output, error, CancellationToken.None);

        Assert.True(exitCode == 0, error.ToString());
        var json = JsonDocument.Parse(output.ToString()).RootElement;
        var auth = json.GetProperty("auth");
        Assert.Equal("fail", auth.GetProperty("spf").GetString());
        Assert.Equal("none", auth.GetProperty("dkim").GetString());
        Assert.Equal("fail", auth.GetProperty("dmarc").GetString());
        Assert.Equal("none", auth.GetProperty("arc").GetString());
        Assert.Equal("reject", json.GetProperty("action").GetString());
        Assert.Contains(json.GetProperty("symbols").EnumerateArray(), symbol => symbol.GetProperty("name").GetString() == "DMARC_POLICY_REJECT");
    }
}
