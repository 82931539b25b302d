namespace Gateway.IntegrationTests;

/// <summary>
/// Fuzzy hashes over SMTP (issue 36): a message learned as spam on one gateway process makes its near-duplicates
/// (other names, numbers, tracking codes) FUZZY_SPAM on another process sharing the Redis; unrelated mail is not;
/// near-identical text in several transactions is FUZZY_BULK, which alone does not tag.
/// </summary>
public sealed class FuzzyTests
{
    private const string Campaign = "Dear {0},\r\n\r\nYour package {1} could not be delivered because the customs fee of {2} USD was not paid.\r\nTo arrange a new delivery date please confirm your address and pay the outstanding amount today.\r\nTrack it here: https://parcel-track.example/t/{1}?u={3}\r\nIf the fee is not paid within 48 hours the parcel will be returned to the sender.\r\n";

    private static string Copy(string name, string parcel) =>
        $"From: Delivery <notice@parcel-track.example>\r\nTo: user@example.test\r\nSubject: Delivery notice {parcel}\r\nMessage-ID: <{parcel}@parcel-track.example>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\n" +
        string.Format(System.Globalization.CultureInfo.InvariantCulture, Campaign, name, parcel, "2.99", Guid.NewGuid().ToString("N"));

    /// <summary>One message to user@example.test in a session of its own; the reply to DATA.</summary>
    private static async Task<string> DeliverAsync(IPEndPoint gateway, string message, string from = "notice@parcel-track.example")
    {
        await using var client = await RawSmtpClient.ConnectAsync(gateway);
        await client.EnvelopeAsync(from, ["user@example.test"]);
        return await client.DataAsync(TestMessages.Crlf(message + ".\r\n"));
    }

    [Fact(Timeout = 120_000)]
    public async Task Spam_learned_on_one_instance_marks_its_near_duplicates_on_the_other()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        var yaml = $"state: {{backend: redis, redis: \"{redis.EndPoint}\"}}\nlearning: {{enabled: true}}\nfuzzy: {{enabled: true}}";
        await using var first = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml);
        await using var second = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml);
        var spam = Path.Combine(first.Folder, "reported.eml");
        await File.WriteAllTextAsync(spam, Copy("Anna", "PX-20391"));

        var learned = await GatewayCli.RunAsync("learn", "spam", spam, "--config", Path.Combine(first.Folder, "gateway.yaml"));
        Assert.True(learned.ExitCode == 0, learned.Error);

        Assert.StartsWith("250", await DeliverAsync(second.EndPoint, Copy("Robert Jones", "QQ-77812")), StringComparison.Ordinal);

        var unrelated = "From: colleague@remote.test\r\nTo: user@example.test\r\nSubject: release notes\r\n\r\nHi team, the release notes for version two are in the shared folder now. Please review the migration section before Thursday and add your comments inline.\r\n";
        Assert.StartsWith("250", await DeliverAsync(second.EndPoint, unrelated, from: "colleague@remote.test"), StringComparison.Ordinal);

        var copy = System.Text.Encoding.UTF8.GetString(downstream.Messages.ElementAt(0).Raw);
        Assert.Contains("FUZZY_SPAM", copy, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Flag: YES", copy, StringComparison.Ordinal); // FUZZY_SPAM at its full weight tags on its own
        Assert.DoesNotContain("FUZZY_", System.Text.Encoding.UTF8.GetString(downstream.Messages.ElementAt(1).Raw), StringComparison.Ordinal);

        // Taken back: the next copy is judged without it.
        var forgotten = await GatewayCli.RunAsync("learn", "forget", "--fuzzy", "spam", spam, "--config", Path.Combine(second.Folder, "gateway.yaml"));
        Assert.Contains("1 messages taken back", forgotten.Output, StringComparison.Ordinal);
        Assert.StartsWith("250", await DeliverAsync(first.EndPoint, Copy("Carol", "ZZ-1")), StringComparison.Ordinal);

        Assert.DoesNotContain("FUZZY_SPAM", System.Text.Encoding.UTF8.GetString(downstream.Messages.ElementAt(2).Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Near_identical_text_in_several_transactions_is_bulk_and_bulk_alone_does_not_tag()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Learning = options.Learning with { Enabled = true, SecretFile = Path.Combine(Directory.CreateTempSubdirectory("fuzzy-bulk-").FullName, "learning.secret") },
            Fuzzy = new Gateway.Core.Configuration.FuzzyOptions { Enabled = true, BulkSessions = 3 },
        });

        foreach (var (name, parcel) in new[] { ("Anna", "A-1"), ("Bob", "B-2"), ("Carol", "C-3") })
        {
            Assert.StartsWith("250", await DeliverAsync(gateway.EndPoint, Copy(name, parcel)), StringComparison.Ordinal);
        }

        var third = System.Text.Encoding.UTF8.GetString(downstream.Messages.ElementAt(2).Raw);
        Assert.DoesNotContain("FUZZY_BULK", System.Text.Encoding.UTF8.GetString(downstream.Messages.ElementAt(1).Raw), StringComparison.Ordinal);
        Assert.Contains("FUZZY_BULK", third, StringComparison.Ordinal);
        Assert.DoesNotContain("X-Spam-Flag: YES", third, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Mail_to_a_spam_trap_is_learned_and_refused_and_its_copies_to_people_are_fuzzy_spam()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Learning = options.Learning with { Enabled = true, SecretFile = Path.Combine(Directory.CreateTempSubdirectory("fuzzy-trap-").FullName, "learning.secret") },
            Fuzzy = new Gateway.Core.Configuration.FuzzyOptions { Enabled = true, Traps = ["harvest-me@example.test"] },
        });

        string trapped;
        string mixed;
        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            var accepted = await client.EnvelopeAsync("notice@parcel-track.example", ["harvest-me@example.test", "user@example.test"]);
            mixed = accepted[1];
            trapped = await client.DataAsync(TestMessages.Crlf(Copy("Anna", "PX-20391") + ".\r\n"));
        }

        Assert.StartsWith("250", await DeliverAsync(gateway.EndPoint, Copy("Robert Jones", "QQ-77812")), StringComparison.Ordinal);

        Assert.StartsWith("452 4.5.3", mixed, StringComparison.Ordinal); // a person and a trap never share a transaction
        Assert.StartsWith("550 5.7.1", trapped, StringComparison.Ordinal);
        var delivered = Assert.Single(downstream.Messages); // nothing of the trap's went downstream
        Assert.Contains("FUZZY_SPAM", System.Text.Encoding.UTF8.GetString(delivered.Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_learn_rejects_what_the_score_rejected_marks_its_copies_that_would_pass_otherwise()
    {
        var rules = GatewayCli.CopyRules();
        await File.WriteAllTextAsync(Path.Combine(rules, "test.rules.yaml"), "rules:\n  - name: SCORES_A_REJECT\n    description: test rule\n    when:\n      subject: {contains: \"final notice\"}\n    score: 13.0\n");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Learning = options.Learning with { Enabled = true, SecretFile = Path.Combine(Directory.CreateTempSubdirectory("fuzzy-rejects-").FullName, "learning.secret") },
            Fuzzy = new Gateway.Core.Configuration.FuzzyOptions { Enabled = true, LearnRejects = true },
        }, rulesFolder: rules);

        var refused = await DeliverAsync(gateway.EndPoint, Copy("Anna", "PX-20391").Replace("Subject: Delivery notice", "Subject: FINAL NOTICE", StringComparison.Ordinal));

        string copy = string.Empty;
        for (var attempt = 0; attempt < 50 && !copy.Contains("FUZZY_SPAM", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 100); // the reject is learned off the client's path, just after the reply
            Assert.StartsWith("250", await DeliverAsync(gateway.EndPoint, Copy("Robert Jones", $"QQ-{attempt}")), StringComparison.Ordinal);
            copy = System.Text.Encoding.UTF8.GetString(downstream.Messages.Last().Raw);
        }

        Assert.StartsWith("550", refused, StringComparison.Ordinal);
        Assert.Contains("FUZZY_SPAM", copy, StringComparison.Ordinal);
    }
}
