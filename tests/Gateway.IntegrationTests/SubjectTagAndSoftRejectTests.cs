namespace Gateway.IntegrationTests;

/// <summary>
/// actions.yaml's subject_tag (rspamd's rewrite_subject) and soft_reject band (451 4.7.1) over SMTP: a tagged
/// message arrives with the tag in front of its Subject, once; a message in the band is deferred and not delivered.
/// </summary>
public sealed class SubjectTagAndSoftRejectTests
{
    private static string Rules(string actions)
    {
        var rules = GatewayCli.CopyRules();
        File.Delete(Path.Combine(rules, "weights.yaml")); // the rules' own scores, so the bands below are exact
        File.WriteAllText(Path.Combine(rules, "actions.yaml"), actions);
        File.WriteAllText(Path.Combine(rules, "site.rules.yaml"), """
            rules:
              - name: SCORE_SIX
                when: {subject: {contains: six-points}}
                score: 6.0
              - name: SCORE_NINE
                when: {subject: {contains: nine-points}}
                score: 9.0
            """);
        return rules;
    }

    private static Task<(string Reply, string? Delivered)> SendAsync(string rules, string subjectLine) =>
        SendAsync(rules, TestMessages.Crlf($"From: sender@remote.test\nTo: user@example.test\n{subjectLine}\nMessage-ID: <{Guid.NewGuid():N}@remote.test>\n\nhello\n.\n"));

    private static async Task<(string Reply, string? Delivered)> SendAsync(string rules, byte[] message)
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } }, rulesFolder: rules);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        var reply = await client.DataAsync(message);
        return (reply, downstream.Messages.IsEmpty ? null : Decoded(downstream.Messages.First().Raw));
    }

    /// <summary>UTF-8, or Latin-1 byte for byte where the message is not UTF-8 (the 8-bit Subject case).</summary>
    private static string Decoded(byte[] raw) =>
        Encoding.UTF8.GetString(raw) is var text && text.Contains('\uFFFD', StringComparison.Ordinal) ? Encoding.Latin1.GetString(raw) : text;

    [Fact(Timeout = 60_000)]
    public async Task Tagged_mail_has_the_tag_in_front_of_its_subject_once_and_ham_keeps_its_subject()
    {
        var rules = Rules("actions: {tag: 5, reject: 12}\nsubject_tag: \"[SPAM]\"\n");

        var (_, tagged) = await SendAsync(rules, "Subject: six-points offer");
        var (_, encoded) = await SendAsync(rules, "Subject: =?utf-8?q?six-points_=C3=BCber?=");
        var (_, already) = await SendAsync(rules, "Subject: [SPAM] six-points again");
        var (_, ham) = await SendAsync(rules, "Subject: lunch on Thursday?");
        var (_, latin1) = await SendAsync(rules, Encoding.Latin1.GetBytes("From: sender@remote.test\r\nTo: user@example.test\r\nSubject: six-points caf\u00e9\r\n\r\nhello\r\n.\r\n"));

        Assert.Contains("\r\nSubject: [SPAM] six-points offer\r\n", "\r\n" + tagged, StringComparison.Ordinal);
        Assert.Single(tagged!.Split("\r\n").TakeWhile(line => line.Length > 0), line => line.StartsWith("Subject:", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("Subject: [SPAM] =?utf-8?q?six-points_=C3=BCber?=\r\n", encoded, StringComparison.Ordinal);
        Assert.Contains("Subject: [SPAM] six-points again\r\n", already, StringComparison.Ordinal);
        Assert.DoesNotContain("[SPAM] [SPAM]", already, StringComparison.Ordinal);
        Assert.Contains("Subject: lunch on Thursday?\r\n", ham, StringComparison.Ordinal);
        Assert.DoesNotContain("[SPAM]", ham, StringComparison.Ordinal);
        Assert.Contains("Subject: six-points caf\u00e9\r\n", latin1, StringComparison.Ordinal); // 8-bit bytes kept as sent, untagged
        Assert.Contains("X-Spam-Flag: YES", latin1, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_score_in_the_soft_reject_band_is_deferred_and_below_it_tagged()
    {
        var rules = Rules("actions: {tag: 5, soft_reject: 8, reject: 12}\n");

        var (deferred, notDelivered) = await SendAsync(rules, "Subject: nine-points");
        var (tagged, delivered) = await SendAsync(rules, "Subject: six-points");

        Assert.Equal("451 4.7.1 Message deferred: the message looks like spam; try again later", deferred.TrimEnd());
        Assert.Null(notDelivered);
        Assert.StartsWith("250", tagged, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Flag: YES", delivered, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("actions: {tag: 5, soft_reject: 13, reject: 12}\n", "actions.yaml:1: actions.soft_reject: must be between the tag (5) and reject (12) thresholds")]
    [InlineData("actions: {tag: 5, quarantine: 8, soft_reject: 8, reject: 12}\n", "actions.yaml:1: actions.soft_reject: must differ from the quarantine threshold")]
    [InlineData("actions: {tag: 5, reject: 12}\nsubject_tag: \"\"\n", "actions.yaml:2: subject_tag: 1 to 40 characters on one line")]
    public async Task Bad_bands_and_tags_are_refused_with_file_and_line(string actions, string expected)
    {
        var rules = Rules(actions);

        var (exitCode, _, error) = await GatewayCli.RunAsync("rules", "check", rules);

        Assert.Equal(1, exitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
