namespace Gateway.IntegrationTests;

/// <summary>
/// Sender lists over SMTP (issue 35): a recipient's block refuses that recipient at RCPT while the other
/// recipient of the same message gets it; recipients whose allow entries differ are split (452); the
/// entries come from `gateway lists` and the running gateway sees them as the file changes.
/// </summary>
public sealed class SenderListsOverSmtpTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_block_refuses_that_recipient_only_and_recipients_with_other_allow_lists_are_split()
    {
        var folder = Directory.CreateTempSubdirectory("sender-lists-").FullName;
        var file = Path.Combine(folder, "sender-lists.json");
        var config = Path.Combine(folder, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"domains: [example.test]\nsender_lists: {{file: {file}}}\nhistory: {{directory: {Path.Combine(folder, "history")}}}\n");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            SenderLists = new Gateway.Core.Configuration.SenderListsOptions { File = file },
            History = new Gateway.Core.Configuration.HistoryOptions { Directory = Path.Combine(folder, "history") },
        });

        var blocked = await GatewayCli.RunAsync("lists", "block", "pushy@remote.test", "--for", "alice@example.test", "--config", config);
        Assert.Equal((0, "pushy@remote.test: blocked for alice@example.test\n"), (blocked.ExitCode, blocked.Output));
        var allowed = await GatewayCli.RunAsync("lists", "allow", "remote.test", "--for", "carol@example.test", "--config", config);
        Assert.Equal(0, allowed.ExitCode);

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            var replies = await client.EnvelopeAsync("pushy@remote.test", "alice@example.test", "bob@example.test", "carol@example.test");
            Assert.Equal("550 5.7.1 <alice@example.test>: the recipient does not accept mail from this sender", replies[0]);
            Assert.StartsWith("250", replies[1], StringComparison.Ordinal);
            Assert.StartsWith("452 4.5.3 Recipients with other sender lists", replies[2], StringComparison.Ordinal);
            Assert.StartsWith("250", await client.DataAsync(TestMessages.Crlf("From: pushy@remote.test\nSubject: offer\n\nbuy\n.\n")), StringComparison.Ordinal);
        }

        var delivered = Assert.Single(downstream.Messages);
        Assert.Equal(["bob@example.test"], delivered.To);

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            // Another sender is not blocked for Alice; carol alone in her own transaction is fine.
            Assert.StartsWith("250", (await client.EnvelopeAsync("friend@remote.test", "alice@example.test"))[0], StringComparison.Ordinal);
        }

        var history = await GatewayCli.RunAsync("history", "--config", config, "--to", "alice@example.test", "--from", "pushy@");
        Assert.Contains("refused at RCPT; told \"550 ", history.Output, StringComparison.Ordinal);
        Assert.Contains("<alice@example.test>: the recipient does not accept mail from this sender\"", history.Output, StringComparison.Ordinal);

        var removed = await GatewayCli.RunAsync("lists", "remove", "pushy@remote.test", "--for", "alice@example.test", "--config", config);
        Assert.Equal(0, removed.ExitCode);
        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            Assert.StartsWith("250", (await client.EnvelopeAsync("pushy@remote.test", "alice@example.test"))[0], StringComparison.Ordinal);
        }

        var bad = await GatewayCli.RunAsync("lists", "block", "not an address", "--config", config);
        Assert.Equal((2, "gateway: 'not an address' is neither a sender address nor a domain\n"), (bad.ExitCode, bad.Error));
    }
}
