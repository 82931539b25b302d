namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// A downstream that refuses the whole session (a 5xx greeting, EHLO and HELO refused) is in trouble of
/// its own; the sender must hear "try again later", never a permanent refusal that bounces its message.
/// </summary>
public sealed class DownstreamRefusalTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("554 5.3.2 scripted.test not accepting connections", null)]
    [InlineData("220 scripted.test ESMTP", "550 5.7.1 go away")]
    public async Task A_downstream_refusing_the_session_gives_the_sender_451_4_4_0(string greeting, string? helloRefusal)
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        downstream.Greeting = greeting;
        downstream.HelloRefusal = helloRefusal;
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "user@example.test");

        Assert.StartsWith("451 4.4.0", replies[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// A downstream that takes the message but answers 250 after we gave up: the client hears 451 (it keeps
    /// the message and retries, so the downstream may see it twice: SMTP's own duplicate window, RFC 1047),
    /// and the connection is never used again, so the late 250 cannot answer the next message.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task A_final_reply_later_than_we_wait_is_451_and_never_answers_the_next_message()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: true);
        downstream.SlowFinalReplies = 1;
        downstream.FinalReplyDelay = TimeSpan.FromSeconds(6);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Downstream = options.Downstream with { Timeout = TimeSpan.FromSeconds(1) }, // the final reply is waited for four times this
        });

        string first;
        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            await client.EnvelopeAsync("sender@remote.test", "user@example.test");
            first = await client.DataAsync(TestMessages.Crlf("Subject: slow one\n\nbody\n.\n"));
        }

        // The scripted downstream serves one connection at a time: until it is done with the slow one, the next
        // transaction cannot open there. Retry as a sending MTA would.
        var second = string.Empty;
        for (var attempt = 0; attempt < 20 && !second.StartsWith("250", StringComparison.Ordinal); attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            var replies = await client.EnvelopeAsync("sender@remote.test", "user@example.test");
            if (replies[^1].StartsWith("250", StringComparison.Ordinal))
            {
                second = await client.DataAsync(TestMessages.Crlf("Subject: next one\n\nbody\n.\n"));
            }
        }

        Assert.StartsWith("451 4.4.", first, StringComparison.Ordinal);
        Assert.StartsWith("250", second, StringComparison.Ordinal);
        Assert.Equal(2, downstream.MessagesTaken);
        Assert.Contains(downstream.Messages.Last(), line => line == "Subject: next one");
    }
}
