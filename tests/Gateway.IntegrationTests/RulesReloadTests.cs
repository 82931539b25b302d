namespace Gateway.IntegrationTests;

/// <summary>Hot reload of rules/ under live SMTP traffic: valid, then broken, then valid again; no message lost.</summary>
public sealed class RulesReloadTests
{
    private const string MarkerRule = "rules:\n  - name: RELOAD_MARKER\n    when: {subject: {contains: marker}}\n    score: 7\n";

    private static async Task<string> FlagAsync(TestGateway gateway, FakeDownstream downstream, int expectedCount)
    {
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "marker test"));
        var message = downstream.Messages.ElementAt(expectedCount - 1);
        return Encoding.UTF8.GetString(message.Raw).Contains("X-Spam-Flag: YES", StringComparison.Ordinal) ? "tagged" : "accepted";
    }

    private static async Task<string> WaitForAsync(Func<Task<string>> probe, string wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        string result;
        do
        {
            await Task.Delay(400);
            result = await probe();
        }
        while (result != wanted && DateTime.UtcNow < deadline);

        return result;
    }

    [Fact(Timeout = 90_000)]
    public async Task A_broken_rules_file_changes_nothing_and_mail_keeps_flowing()
    {
        var folder = GatewayCli.CopyRules();
        var ruleFile = Path.Combine(folder, "local.rules.yaml");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } }, rulesFolder: folder);
        var sent = 0;
        Task<string> Probe() => FlagAsync(gateway, downstream, ++sent);

        Assert.Equal("accepted", await Probe());

        await File.WriteAllTextAsync(ruleFile, MarkerRule);
        Assert.Equal("tagged", await WaitForAsync(Probe, "tagged"));

        // A broken file: the reload is refused and the previous rules (with the marker) stay in force.
        await File.WriteAllTextAsync(ruleFile, MarkerRule.Replace("contains", "containz", StringComparison.Ordinal));
        await Task.Delay(1500);
        Assert.Equal("tagged", await Probe());

        // Removing the rule is a valid change again.
        File.Delete(ruleFile);
        Assert.Equal("accepted", await WaitForAsync(Probe, "accepted"));

        Assert.Equal(sent, downstream.Messages.Count);
    }
}
