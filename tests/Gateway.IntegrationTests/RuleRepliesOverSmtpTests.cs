namespace Gateway.IntegrationTests;

/// <summary>
/// One reply type end to end (issue 34): a rule's reply reaches the client with the codes the operator
/// wrote; before, the enhanced code was dropped and 5.7.1 (or 451 4.7.1) put in its place.
/// </summary>
public sealed class RuleRepliesOverSmtpTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("action: reject\n    reply: \"554 5.7.9 Not accepted here\"", "554 5.7.9 Not accepted here")]
    [InlineData("action: reject\n    reply: \"5.7.26 Unauthenticated mail from this domain\"", "550 5.7.26 Unauthenticated mail from this domain")]
    [InlineData("action: tempfail\n    reply: \"450 4.7.25 Try again from a host with reverse DNS\"", "450 4.7.25 Try again from a host with reverse DNS")]
    [InlineData("action: reject", "550 5.7.1 Message rejected by policy (SITE_REFUSAL)")]
    public async Task A_rules_reply_reaches_the_client_as_written(string action, string expected)
    {
        var rules = GatewayCli.CopyRules();
        File.WriteAllText(Path.Combine(rules, "site.rules.yaml"), $"rules:\n  - name: SITE_REFUSAL\n    when: {{subject: {{contains: refuse-me}}}}\n    {action}\n");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } }, rulesFolder: rules);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        var reply = await client.DataAsync(TestMessages.Wire("refuse-me please"));

        Assert.Equal(expected, reply.TrimEnd());
        Assert.Empty(downstream.Messages);
    }
}
