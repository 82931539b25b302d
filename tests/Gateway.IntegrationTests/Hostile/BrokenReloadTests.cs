namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// An operator's typo while mail flows, in every file the running gateway reloads: the real `gateway run`
/// process must refuse each with file:line:col in its log, keep the previous file in force and keep
/// answering mail. (An unclosed '{' in a rules file once ended the process from the reload timer.)
/// </summary>
public sealed class BrokenReloadTests
{
    [Fact(Timeout = 180_000)]
    public async Task Every_kind_of_broken_policy_or_model_file_is_refused_while_mail_keeps_flowing()
    {
        var rules = GatewayCli.CopyRules();
        var modelFolder = Directory.CreateTempSubdirectory("model-").FullName;
        var model = Path.Combine(modelFolder, "spam.zip");
        File.Copy(Path.Combine(RepositoryRoot.Path, "models", "spam.zip"), model);
        await using var sink = await SmtpSink.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(sink.EndPoint, dns.EndPoint, rulesFolder: rules, classifier: $"{{model: \"{model}\"}}");
        var sent = 0;

        async Task DeliversAsync()
        {
            Assert.False(gateway.HasExited, gateway.Output);
            Assert.StartsWith("2.0.0", await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: $"still flowing {sent}")), StringComparison.Ordinal);
            sent++;
        }

        async Task RefusedAsync(string file, string broken, string expectedPosition)
        {
            var original = await File.ReadAllTextAsync(file);
            await File.WriteAllTextAsync(file, broken);
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!gateway.Output.Contains(expectedPosition, StringComparison.Ordinal) && DateTime.UtcNow < deadline && !gateway.HasExited)
            {
                await Task.Delay(200);
            }

            Assert.Contains(expectedPosition, gateway.Output, StringComparison.Ordinal);
            await DeliversAsync();
            await File.WriteAllTextAsync(file, original);
        }

        await DeliversAsync();

        var ruleFile = Path.Combine(rules, "default.rules.yaml");
        var ruleText = await File.ReadAllTextAsync(ruleFile);
        var unclosed = ruleText.Replace("iso, img]}", "iso, img]", StringComparison.Ordinal);
        Assert.NotEqual(ruleText, unclosed);
        await RefusedAsync(ruleFile, unclosed, "default.rules.yaml:");
        // Either YamlDotNet's own "did not find expected ',' or '}'" or, where its scanner gives up without a position, ours.
        Assert.Matches("never closed|did not find expected ',' or '}'", gateway.Output);

        await RefusedAsync(Path.Combine(rules, "actions.yaml"), "actions:\n  tag: [6\n", "actions.yaml:");
        await RefusedAsync(Path.Combine(rules, "symbols.yaml"), "symbols:\n  X: {weight: 1\n", "symbols.yaml:");
        await RefusedAsync(Path.Combine(rules, "lists.yaml"), "lists:\n  - name: x\n   bad indent: [\n", "lists.yaml:");
        await File.WriteAllBytesAsync(model, [0x50, 0x4B, 0x03, 0x04, 0xFF, 0xFF]);
        var modelDeadline = DateTime.UtcNow.AddSeconds(20);
        while (!gateway.Output.Contains("could not be loaded", StringComparison.Ordinal) && DateTime.UtcNow < modelDeadline && !gateway.HasExited)
        {
            await Task.Delay(200);
        }

        Assert.Contains("could not be loaded", gateway.Output, StringComparison.Ordinal);
        await DeliversAsync();

        Assert.Matches(@"default\.rules\.yaml:\d+:\d+: ", gateway.Output);
        Assert.Matches(@"actions\.yaml:\d+:\d+: ", gateway.Output);
        Assert.DoesNotContain("Unhandled exception", gateway.Output, StringComparison.Ordinal);
        Assert.Equal(sent, (await sink.WaitForMessagesAsync(sent)).Count);
    }
}
