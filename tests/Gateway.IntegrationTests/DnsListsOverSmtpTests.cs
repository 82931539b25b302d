namespace Gateway.IntegrationTests;

/// <summary>DNS lists end to end: a list in rules/lists.yaml, its zone on a real loopback DNS server, mail over SMTP.</summary>
public sealed class DnsListsOverSmtpTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_listed_client_is_scored_with_the_lists_symbol()
    {
        var rules = GatewayCli.CopyRules();
        File.WriteAllText(Path.Combine(rules, "lists.yaml"), "lists:\n  - name: TESTBL\n    zone: bl.test\n    kind: ip\n    enabled: true\n    codes:\n      127.0.0.2: {symbol: TESTBL_SPAM, score: 7.0}\n");
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("1.0.0.127.bl.test", "127.0.0.2");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options.Classifier.Enabled = false, rulesFolder: rules, dns: dns);

        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "from a listed host"));

        var text = Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("TESTBL_SPAM(7.00)", text, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Flag: YES", text, StringComparison.Ordinal);
        Assert.Contains("1.0.0.127.bl.test A", dns.Queries);
    }
}
