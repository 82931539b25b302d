using Gateway.Smtp.Admission;

namespace Gateway.IntegrationTests;

/// <summary>
/// Refused recipients are answered as refused — with the reply as written, ours or the downstream's — and
/// are not protocol errors: a sender with a stale list keeps its session (issue 21).
/// </summary>
public sealed class RecipientRefusalTests
{
    [Fact(Timeout = 120_000)]
    public async Task The_downstreams_user_unknown_reaches_the_client_exactly_as_postfix_wrote_it()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint, knownUsers: ["user"]);
        await using var gateway = await TestGateway.StartAsync(postfix.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "nobody@example.test", "user@example.test");

        Assert.Equal("550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown in local recipient table", replies[0]);
        Assert.StartsWith("250", replies[1], StringComparison.Ordinal);
        Assert.StartsWith("250", await client.DataAsync(TestMessages.Wire("refusal then delivery")), StringComparison.Ordinal);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal(["user@example.test"], received.Recipients);
    }

    [Fact(Timeout = 60_000)]
    public async Task Twenty_refused_recipients_keep_the_session_and_the_message_to_the_next_is_delivered()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var refused = await client.EnvelopeAsync("sender@remote.test", [.. Enumerable.Range(0, 20).Select(i => $"someone{i}@elsewhere.test")]);
        var accepted = await client.CommandAsync("RCPT TO:<user@example.test>");

        Assert.All(refused, reply => Assert.Equal("550 5.7.1 Relay access denied", reply));
        Assert.StartsWith("250", accepted, StringComparison.Ordinal);
        Assert.StartsWith("250", await client.DataAsync(TestMessages.Wire("after twenty refusals")), StringComparison.Ordinal);
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 60_000)]
    public async Task Refusals_beyond_max_refusals_without_a_delivery_end_the_session_with_421_4_7_0()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Limits = options.Limits with { MaxRefusals = 3 } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        // A delivered message starts the count over: three refusals, a delivery, three more are still fine.
        await client.EnvelopeAsync("sender@remote.test", "a@elsewhere.test", "b@elsewhere.test", "c@elsewhere.test", "user@example.test");
        Assert.StartsWith("250", await client.DataAsync(TestMessages.Wire("delivered")), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            Assert.StartsWith("550", await client.CommandAsync($"RCPT TO:<d{i}@elsewhere.test>"), StringComparison.Ordinal);
        }

        var fourth = await client.CommandAsync("RCPT TO:<e@elsewhere.test>");

        Assert.Equal("550 5.7.1 Relay access denied", fourth);
        Assert.Equal("421 4.7.0 Too many errors, closing connection", await client.ReadReplyAsync());
        Assert.Equal(string.Empty, await client.ReadToEndAsync());
    }

    [Fact(Timeout = 60_000)]
    public async Task Recipients_over_max_recipients_get_452_without_ending_the_session_and_the_first_ones_are_delivered()
    {
        // A 452 asks for the rest in another transaction; counting it as a refusal would cut off a big
        // message at every retry, and it would never be delivered.
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Limits = options.Limits with { MaxRecipients = 5, MaxRefusals = 3 } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", [.. Enumerable.Range(0, 30).Select(i => $"user{i}@example.test")]);

        Assert.All(replies.Take(5), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        Assert.All(replies.Skip(5), reply => Assert.Equal("452 4.5.3 Too many recipients", reply));
        Assert.StartsWith("250", await client.DataAsync(TestMessages.Wire("first five")), StringComparison.Ordinal);
        Assert.Equal(5, Assert.Single(downstream.Messages).To.Count);
    }

    [Theory]
    [InlineData("550 5.1.1 User unknown, 4 retry(ies) remaining.\r\n", "550 5.1.1 User unknown\r\n")]
    [InlineData("250 Ok\r\n550 5.7.1 Relay access denied, 19 retry(ies) remaining.\r\n", "250 Ok\r\n550 5.7.1 Relay access denied\r\n")]
    [InlineData("250 2.0.0 Ok\r\n", "250 2.0.0 Ok\r\n")]
    [InlineData("550 nothing counted retry(ies) remaining.\r\n", "550 nothing counted retry(ies) remaining.\r\n")]
    public void SmtpServers_retry_count_is_taken_off_reply_lines_and_nothing_else(string written, string expected)
    {
        var result = SmtpServerReplies.WithoutRetryCount(Encoding.ASCII.GetBytes(written));

        Assert.Equal(expected, Encoding.ASCII.GetString(result.Span));
    }
}
