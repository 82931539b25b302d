namespace Gateway.IntegrationTests;

/// <summary>
/// MAIL goes downstream with the first RCPT: in one write when the downstream offers PIPELINING (RFC 2920),
/// one after the other when it does not. Either way the client hears each recipient's own answer.
/// </summary>
public sealed class DownstreamPipeliningTests
{
    [Fact(Timeout = 60_000)]
    public async Task With_pipelining_offered_MAIL_and_the_first_RCPT_travel_together_and_the_mail_arrives()
    {
        // This downstream answers MAIL only once the RCPT behind it has arrived: waiting for the MAIL reply stalls.
        await using var downstream = ScriptedDownstream.Start(offersPipelining: true);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "user@example.test", "other@example.test");
        var final = await client.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: pipelined\n\nbody\n.\n"));

        Assert.All(replies, reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        Assert.StartsWith("250", final, StringComparison.Ordinal);
        Assert.Equal(1, downstream.MessagesTaken);
        Assert.Equal(["MAIL FROM:<sender@remote.test>", "RCPT TO:<user@example.test>", "RCPT TO:<other@example.test>", "DATA"], downstream.Commands.SkipWhile(command => !command.StartsWith("MAIL", StringComparison.Ordinal)).Take(4));
    }

    [Fact(Timeout = 60_000)]
    public async Task Without_pipelining_offered_MAIL_waits_for_its_reply_before_RCPT()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        var final = await client.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: one by one\n\nbody\n.\n"));

        Assert.StartsWith("250", Assert.Single(replies), StringComparison.Ordinal);
        Assert.StartsWith("250", final, StringComparison.Ordinal);
        Assert.Equal(1, downstream.MessagesTaken);
        Assert.Equal(0, downstream.UnaskedPipelining);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_sender_the_downstream_refuses_is_refused_at_the_first_RCPT_with_its_reply_and_the_next_RCPT_asks_again()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: true, mailReply: "550 5.7.1 Sender blocked by policy");
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var refused = await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        downstream.MailReply = "250 2.1.0 Ok";
        var accepted = await client.CommandAsync("RCPT TO:<user@example.test>");

        Assert.StartsWith("550 5.7.1 Sender blocked by policy", Assert.Single(refused), StringComparison.Ordinal);
        Assert.StartsWith("250", accepted, StringComparison.Ordinal);
        Assert.Equal(2, downstream.Commands.Count(command => command.StartsWith("MAIL", StringComparison.Ordinal)));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_downstream_closing_with_421_at_MAIL_gives_a_temporary_refusal_and_the_next_RCPT_a_fresh_connection()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: true, mailReply: "421 4.3.2 Shutting down");
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var deferred = await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        downstream.MailReply = "250 2.1.0 Ok";
        var accepted = await client.CommandAsync("RCPT TO:<user@example.test>");

        Assert.StartsWith("451 4.4.0", Assert.Single(deferred), StringComparison.Ordinal);
        Assert.StartsWith("250", accepted, StringComparison.Ordinal);
        Assert.Equal(2, downstream.Commands.Count(command => command.StartsWith("EHLO", StringComparison.Ordinal)));
    }
}
