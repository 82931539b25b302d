namespace Gateway.IntegrationTests;

/// <summary>Per-recipient policy groups over SMTP: one group per transaction, each with its own verdict.</summary>
public sealed class PolicyGroupTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_two_group_transaction_is_split_and_each_group_gets_its_own_verdict()
    {
        var rules = GatewayCli.CopyRules();
        File.AppendAllText(Path.Combine(rules, "actions.yaml"), "\ngroups:\n  - name: strict\n    recipients: [board.example.test]\n    tag: 2.0\n    reject: 3.0\n");
        File.WriteAllText(Path.Combine(rules, "offer.rules.yaml"), """
            rules:
              - name: TEST_OFFER
                description: test rule
                when:
                  subject: {contains: "quarterly offer"}
                score: 4.0
            """);
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Domains = [.. options.Domains, "board.example.test"], Classifier = options.Classifier with { Enabled = false } }, rulesFolder: rules);
        var message = TestMessages.Crlf("From: sender@remote.test\nSubject: our quarterly offer\n\nbody\n.\n");
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var first = await client.EnvelopeAsync("sender@remote.test", "user@example.test", "ceo@board.example.test");
        var forDefault = await client.DataAsync(message);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
        var retried = await client.CommandAsync("RCPT TO:<ceo@board.example.test>");
        var forStrict = await client.DataAsync(message);

        Assert.StartsWith("250", first[0], StringComparison.Ordinal);
        Assert.StartsWith("452 4.5.3 Recipients of another policy group (strict)", first[1], StringComparison.Ordinal);
        Assert.StartsWith("250", forDefault, StringComparison.Ordinal);
        Assert.StartsWith("250", retried, StringComparison.Ordinal);
        Assert.StartsWith("550 5.7.1", forStrict, StringComparison.Ordinal);
        var delivered = Assert.Single(downstream.Messages);
        Assert.Equal(["user@example.test"], delivered.To);
    }
}
