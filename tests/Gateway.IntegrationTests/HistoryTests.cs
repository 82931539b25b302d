using System.Text.Json;

namespace Gateway.IntegrationTests;

/// <summary>
/// "Where is my mail?" (issue 35): a verdict and a refused recipient land in the history over SMTP, and
/// `gateway history` finds them by Message-ID and by recipient, with what the client was told.
/// </summary>
public sealed class HistoryTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_delivered_message_and_a_refused_recipient_are_found_by_message_id_and_by_recipient()
    {
        var folder = Directory.CreateTempSubdirectory("history-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        await using (var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            History = new Gateway.Core.Configuration.HistoryOptions { Directory = folder },
            Limits = options.Limits with { MaxMessageSize = 4000 },
        }))
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            var replies = await client.EnvelopeAsync("sender@remote.test", "user@example.test", "someone@elsewhere.test");
            Assert.StartsWith("550 5.7.1", replies[1], StringComparison.Ordinal);
            var message = TestMessages.Crlf("From: sender@remote.test\nTo: user@example.test\nSubject: the quarterly figures\nMessage-ID: <figures-1@remote.test>\nDate: Mon, 07 Dec 2026 10:00:00 +0000\n\nSee attached.\n.\n");
            Assert.StartsWith("250", await client.DataAsync(message), StringComparison.Ordinal);
            await client.EnvelopeAsync("big@remote.test", "user@example.test");
            Assert.StartsWith("552", await client.DataAsync(TestMessages.Crlf($"From: big@remote.test\nSubject: too big\n\n{new string('x', 6000)}\n.\n")), StringComparison.Ordinal);
        }

        var config = Path.Combine(folder, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"domains: [example.test]\nhistory: {{directory: {folder}}}\nmetrics: {{listen: \"\"}}\n");

        var byId = await GatewayCli.RunAsync("history", "--config", config, "--message-id", "<FIGURES-1@remote.test>");
        Assert.Equal(0, byId.ExitCode);
        var line = Assert.Single(byId.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("<sender@remote.test> -> <user@example.test>: accept", line, StringComparison.Ordinal);
        Assert.Contains("\"the quarterly figures\" <figures-1@remote.test>", line, StringComparison.Ordinal);
        Assert.Contains("told \"250", line, StringComparison.Ordinal); // the downstream's own reply

        var refused = await GatewayCli.RunAsync("history", "--config", config, "--to", "elsewhere.test", "--json");
        var entry = JsonDocument.Parse(Assert.Single(refused.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("rcpt", entry.GetProperty("stage").GetString());
        Assert.Equal("refused", entry.GetProperty("action").GetString());
        Assert.Equal("someone@elsewhere.test", entry.GetProperty("recipients")[0].GetString());
        Assert.StartsWith("550 ", entry.GetProperty("reply").GetString(), StringComparison.Ordinal);

        var tooBig = await GatewayCli.RunAsync("history", "--config", config, "--from", "big@remote.test");
        Assert.Contains("<big@remote.test> -> <user@example.test>: refused at DATA; told \"552", tooBig.Output, StringComparison.Ordinal); // refused before any scan, still in the history

        var nothing = await GatewayCli.RunAsync("history", "--config", config, "--from", "nobody@remote.test");
        Assert.Contains("nothing found in", nothing.Output, StringComparison.Ordinal);

        var bad = await GatewayCli.RunAsync("history", "--config", config, "--since", "yesterday-ish");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("gateway: --since 'yesterday-ish' is neither a duration (30m, 2h, 7d) nor a time (2026-12-07T10:00Z)", bad.Error.Trim());
    }
}
