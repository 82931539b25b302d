using System.Text.RegularExpressions;

namespace Gateway.IntegrationTests;

/// <summary>The quarantine loop over real sockets: held at DATA with 250, listed, released once with the original envelope.</summary>
public sealed class QuarantineTests
{
    /// <summary>The shipped rules plus one that holds every message whose subject says "hold me".</summary>
    private static readonly Lazy<string> Rules = new(RulesHolding);

    private static Task<TestGateway> StartHoldingAsync(FakeDownstream downstream, string quarantine) =>
        TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Quarantine = options.Quarantine with { Directory = quarantine },
                Classifier = options.Classifier with { Enabled = false },
            }, rulesFolder: Rules.Value);

    private static string RulesHolding()
    {
        var rules = GatewayCli.CopyRules();
        File.WriteAllText(Path.Combine(rules, "hold.rules.yaml"), """
            rules:
              - name: HOLD_FOR_REVIEW
                description: test rule
                when:
                  subject: {contains: "hold me"}
                score: 1.0
                action: quarantine
            """);
        return rules;
    }

    private static string CliConfig(IPEndPoint downstream, string quarantine)
    {
        var rules = Rules.Value;
        var config = Path.Combine(Directory.CreateTempSubdirectory("quarantine-cli-").FullName, "gateway.yaml");
        File.WriteAllText(config, $"hostname: gateway.example.test\ndomains: [example.test]\nrules: {rules}\ndownstream: {{host: \"{downstream.Address}\", port: {downstream.Port}, tls: none}}\nquarantine: {{directory: {quarantine}}}\n");
        return config;
    }

    [Fact(Timeout = 60_000)]
    public async Task A_release_teaches_the_site_model_ham_and_a_delete_with_spam_teaches_it_spam()
    {
        await using var redis = await RedisServer.StartAsync();
        var quarantine = Directory.CreateTempSubdirectory("quarantine-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Quarantine = options.Quarantine with { Directory = quarantine },
                Classifier = options.Classifier with { Enabled = false },
                State = new Gateway.Core.Configuration.StateOptions { Backend = Gateway.Core.Configuration.StateBackend.Redis, Redis = redis.EndPoint },
            }, rulesFolder: Rules.Value);
        var ids = new List<string>();
        foreach (var subject in new[] { "hold me: the invoice you asked for", "hold me: you won a prize" })
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            await client.EnvelopeAsync("sender@remote.test", "user@example.test");
            ids.Add((await client.DataAsync(TestMessages.Crlf($"From: sender@remote.test\nSubject: {subject}\n\n{subject}, details inside\n.\n"))).Split(' ')[^1]);
        }

        var config = CliConfig(downstream.EndPoint, quarantine);
        File.AppendAllText(config, $"state: {{backend: redis, redis: \"{redis.EndPoint}\"}}\n");

        var (released, releaseOutput, _) = await GatewayCli.RunAsync("quarantine", "release", ids[0], "--config", config);
        var (deleted, deleteOutput, _) = await GatewayCli.RunAsync("quarantine", "delete", ids[1], "--spam", "--config", config);
        var (_, stats, _) = await GatewayCli.RunAsync("learn", "stats", "--config", config);

        Assert.Equal((0, 0), (released, deleted));
        Assert.Contains($"{ids[0]}: learned as ham: learned", releaseOutput, StringComparison.Ordinal);
        Assert.Contains($"{ids[1]}: learned as spam: learned", deleteOutput, StringComparison.Ordinal);
        Assert.Contains("learned: 1 spam, 1 ham", stats, StringComparison.Ordinal);
        Assert.Matches(@"2\s+quarantine", stats);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_held_message_gets_250_reaches_nobody_and_a_release_delivers_it_once_with_its_envelope()
    {
        var quarantine = Directory.CreateTempSubdirectory("quarantine-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartHoldingAsync(downstream, quarantine);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test", "other@example.test");

        var reply = await client.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: please hold me\n\nbody\n.\n"));

        Assert.StartsWith("250 2.0.0 Ok: held for review as ", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
        var id = reply.Split(' ')[^1];
        var config = CliConfig(downstream.EndPoint, quarantine);

        var (listed, list, _) = await GatewayCli.RunAsync("quarantine", "list", "--config", config);
        var (_, shown, _) = await GatewayCli.RunAsync("quarantine", "show", id, "--config", config);
        var (released, releaseOutput, releaseError) = await GatewayCli.RunAsync("quarantine", "release", id, "--config", config);
        var (again, _, againError) = await GatewayCli.RunAsync("quarantine", "release", id, "--config", config);
        var (_, emptied, _) = await GatewayCli.RunAsync("quarantine", "list", "--config", config);

        Assert.Equal(0, listed);
        Assert.Contains(id, list, StringComparison.Ordinal);
        Assert.Contains("HOLD_FOR_REVIEW", list, StringComparison.Ordinal);
        Assert.Contains("Held for review by policy (HOLD_FOR_REVIEW)", shown, StringComparison.Ordinal); // not "rejected"
        Assert.True(released == 0, releaseOutput + releaseError);
        var delivered = Assert.Single(downstream.Messages);
        Assert.Equal("sender@remote.test", delivered.From);
        Assert.Equal(["user@example.test", "other@example.test"], delivered.To);
        // The operator released it: the mailbox must not file it as junk again (it was held with X-Spam-Flag: YES).
        var forwarded = Encoding.UTF8.GetString(delivered.Raw);
        Assert.Contains("X-Spam-Flag: NO\r\n", forwarded, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam-Flag: YES", forwarded, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Status: No, released from quarantine by an operator; it had score=", forwarded, StringComparison.Ordinal);
        Assert.Contains("HOLD_FOR_REVIEW(", forwarded, StringComparison.Ordinal);
        Assert.Single(forwarded.Split("\r\n"), line => line.StartsWith("X-Spam-Status:", StringComparison.Ordinal));
        Assert.Equal(2, again);
        Assert.StartsWith($"no messages held in {quarantine} (", emptied, StringComparison.Ordinal); // said, not an empty output
        Assert.Contains("no quarantined message", againError, StringComparison.Ordinal);
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 120_000)]
    public async Task Two_processes_releasing_the_same_entries_from_one_folder_deliver_each_exactly_once()
    {
        // Pods sharing a ReadWriteMany quarantine volume: two operators (or a script on two pods) release
        // the same messages at the same moment, in opposite orders so that they meet on every entry.
        var quarantine = Directory.CreateTempSubdirectory("quarantine-shared-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        var ids = new List<string>();
        await using (var gateway = await StartHoldingAsync(downstream, quarantine))
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            for (var i = 0; i < 6; i++)
            {
                Assert.StartsWith("250", await client.CommandAsync(i == 0 ? "EHLO client.example.test" : "RSET"), StringComparison.Ordinal);
                Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
                Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
                ids.Add((await client.DataAsync(TestMessages.Crlf($"From: sender@remote.test\nSubject: hold me {i}\n\nbody {i}\n.\n"))).Split(' ')[^1]);
            }
        }

        var config = CliConfig(downstream.EndPoint, quarantine);
        var results = await Task.WhenAll(
            GatewayCli.RunAsync(["quarantine", "release", .. ids, "--no-learn", "--config", config]),
            GatewayCli.RunAsync(["quarantine", "release", .. Enumerable.Reverse(ids), "--no-learn", "--config", config]));

        var subjects = downstream.Messages.Select(message => Encoding.UTF8.GetString(message.Raw).Split('\n').Single(line => line.StartsWith("Subject:", StringComparison.Ordinal)).Trim()).ToList();
        Assert.Equal(6, subjects.Count);
        Assert.Equal(6, subjects.Distinct().Count());
        var released = string.Concat(results.Select(result => result.Output));
        Assert.All(ids, id => Assert.Single(Regex.Matches(released, Regex.Escape(id) + ": released")));
        Assert.All(results, result => Assert.True(result.ExitCode is 0 or 2, result.Output + result.Error));
        Assert.Empty(Directory.GetFiles(quarantine));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_release_the_downstream_refuses_keeps_the_message_in_quarantine()
    {
        var quarantine = Directory.CreateTempSubdirectory("quarantine-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartHoldingAsync(downstream, quarantine);
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "hold me too"));
        downstream.DataReply = new SmtpServer.Protocol.SmtpResponse(SmtpServer.Protocol.SmtpReplyCode.TransactionFailed, "5.7.1 not today");
        var config = CliConfig(downstream.EndPoint, quarantine);
        var (_, list, _) = await GatewayCli.RunAsync("quarantine", "list", "--config", config);
        var id = list.Split(' ')[0];

        var (released, output, _) = await GatewayCli.RunAsync("quarantine", "release", id, "--config", config);
        var (_, after, _) = await GatewayCli.RunAsync("quarantine", "list", "--config", config);

        Assert.Equal(1, released);
        Assert.Contains("not released, kept in quarantine", output, StringComparison.Ordinal);
        Assert.StartsWith(id + " ", after, StringComparison.Ordinal);
        Assert.DoesNotContain("(releasing)", after, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_quarantine_that_cannot_be_written_gives_451_and_the_client_keeps_the_message()
    {
        var notAFolder = Path.Combine(Directory.CreateTempSubdirectory("quarantine-").FullName, "file");
        File.WriteAllText(notAFolder, "a file where the quarantine folder should be");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Quarantine = options.Quarantine with { Directory = Path.Combine(notAFolder, "quarantine") },
                Classifier = options.Classifier with { Enabled = false },
            }, rulesFolder: Rules.Value);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");

        var reply = await client.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: hold me\n\nbody\n.\n"));

        Assert.StartsWith("451 4.3.0", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
    }

    /// <summary>The log says what went wrong in one line, not where in our code (a stack trace only with GATEWAY_DEBUG=1).</summary>
    [Fact(Timeout = 120_000)]
    public async Task A_quarantine_that_cannot_be_written_is_logged_in_one_line_without_a_stack_trace()
    {
        var notAFolder = Path.Combine(Directory.CreateTempSubdirectory("quarantine-").FullName, "file");
        File.WriteAllText(notAFolder, "a file where the quarantine folder should be");
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, rulesFolder: Rules.Value, extraYaml: $"quarantine: {{directory: {Path.Combine(notAFolder, "quarantine")}}}");
        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            await client.EnvelopeAsync("sender@remote.test", "user@example.test");
            Assert.StartsWith("451 4.3.0", await client.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: hold me\n\nbody\n.\n")), StringComparison.Ordinal);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!gateway.Output.Contains("processing failed", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var line = Assert.Single(gateway.Output.Split('\n'), text => text.Contains("processing failed", StringComparison.Ordinal));
        Assert.Contains("Exception: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(" at Gateway.", gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", gateway.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_digest_tells_each_recipient_what_was_held_for_them_through_the_downstream()
    {
        var quarantine = Directory.CreateTempSubdirectory("quarantine-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartHoldingAsync(downstream, quarantine);
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(to: "user@example.test", subject: "hold me: invoice"));
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(to: "other@example.test", subject: "hold me: prize"));
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(to: "user@example.test", subject: "hold me: second"));
        var config = CliConfig(downstream.EndPoint, quarantine);

        var (exitCode, output, error) = await GatewayCli.RunAsync("quarantine", "digest", "--config", config);

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("digest sent to 2 recipient(s)", output, StringComparison.Ordinal);
        Assert.Equal(2, downstream.Messages.Count);
        var forUser = Assert.Single(downstream.Messages, message => message.To.SequenceEqual(["user@example.test"]));
        var text = Encoding.UTF8.GetString(forUser.Raw);
        Assert.Equal("postmaster@gateway.example.test", forUser.From);
        Assert.Contains("Held for review: 2 message(s)", text, StringComparison.Ordinal);
        Assert.Contains("hold me: invoice", text, StringComparison.Ordinal);
        Assert.Contains("hold me: second", text, StringComparison.Ordinal);
        Assert.DoesNotContain("hold me: prize", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// A sender's Subject and From reach the operator's terminal through `quarantine list` and `show`: an ESC
    /// sequence (raw, or hidden in RFC 2047) set the terminal's title and cleared the screen, a right-to-left
    /// override reordered what was read. They are printed as visible escapes; `show --raw` and a pipe get the bytes.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task Terminal_escapes_and_bidi_overrides_from_a_held_message_are_printed_visibly()
    {
        var quarantine = Directory.CreateTempSubdirectory("quarantine-").FullName;
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartHoldingAsync(downstream, quarantine);
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes("hold me \u001b[2J\u202egnp.exe"));
        var ids = new List<string>();
        foreach (var subject in new[] { "hold me \u001b]0;owned\u0007 now", $"=?utf-8?b?{encoded}?=" })
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            await client.EnvelopeAsync("sender@remote.test", "user@example.test");
            var reply = await client.DataAsync(TestMessages.Crlf($"From: \"Bank\u009b31m\" <sender@remote.test>\nSubject: {subject}\n\nbody\n.\n"));
            Assert.StartsWith("250 2.0.0 Ok: held for review as ", reply, StringComparison.Ordinal);
            ids.Add(reply.Split(' ')[^1]);
        }

        var config = CliConfig(downstream.EndPoint, quarantine);

        var (_, list, _) = await GatewayCli.RunAsync("quarantine", "list", "--config", config);
        var (_, json, _) = await GatewayCli.RunAsync("quarantine", "list", "--json", "--config", config);
        var (_, piped, _) = await GatewayCli.RunAsync("quarantine", "show", ids[0], "--config", config);
        var onTerminal = await OnTerminalAsync(GatewayProcess.Executable, "quarantine", "show", ids[0], "--config", config);

        Assert.Contains(@"hold me \x1b]0;owned\x07 now", list, StringComparison.Ordinal);
        Assert.Contains(@"hold me \x1b[2J\u202egnp.exe", list, StringComparison.Ordinal);
        Assert.DoesNotContain(list, c => c is '\u001b' or '\u0007' or '\u202e' or '\u009b');
        Assert.DoesNotContain(json, c => c is '\u001b' or '\u0007' or '\u202e' or '\u009b');
        Assert.Contains(@"\u202e", json, StringComparison.Ordinal);
        Assert.All(json.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => System.Text.Json.JsonDocument.Parse(line).Dispose());
        Assert.Contains("\u001b]0;owned\u0007", piped, StringComparison.Ordinal); // a pipe gets the message as it is
        Assert.Contains(@"\x1b]0;owned\x07", onTerminal, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b]0;owned", onTerminal, StringComparison.Ordinal);
    }

    /// <summary>Runs the gateway under a pseudo-terminal (util-linux script), as an operator would at a shell.</summary>
    private static async Task<string> OnTerminalAsync(string gatewayDll, params string[] args)
    {
        var command = string.Join(' ', new[] { "dotnet", gatewayDll }.Concat(args).Select(arg => $"'{arg}'"));
        var start = new System.Diagnostics.ProcessStartInfo("script", ["-qec", command, "/dev/null"]) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output;
    }
}
