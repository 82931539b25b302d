namespace Gateway.IntegrationTests;

/// <summary>Limits on what one client may send and how slowly: what it is told, and that nothing reaches the downstream.</summary>
public sealed class SessionLimitsTests
{
    private static byte[] Message(string body) =>
        [.. TestMessages.Crlf("From: sender@remote.test\nTo: user@example.test\nSubject: limits\n\n"), .. Encoding.ASCII.GetBytes(body), .. "\r\n.\r\n"u8];

    [Fact(Timeout = 30_000)]
    public async Task A_command_line_over_the_limit_gets_500_5_5_2_and_the_connection_closes()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Limits = options.Limits with { MaxLineLength = 600 } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("250", await client.CommandAsync("EHLO " + new string('a', 500) + ".test"), StringComparison.Ordinal);

        // No line end ever: SmtpServer alone would buffer this for as long as it came.
        await client.SendRawAsync(Encoding.ASCII.GetBytes("MAIL FROM:<" + new string('x', 5000)));

        Assert.StartsWith("500 5.5.2 Line too long", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, await client.ReadToEndAsync());
    }

    [Fact(Timeout = 30_000)]
    public async Task Data_over_the_size_limit_is_dropped_while_streaming_and_answered_552_5_3_4()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Limits = options.Limits with { MaxMessageSize = 10_000 } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test"); // no SIZE declared

        var line = new string('z', 998) + "\r\n";
        var reply = await client.DataAsync(Message(string.Concat(Enumerable.Repeat(line, 2000)))); // 2 MB

        Assert.StartsWith("552 5.3.4", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);

        // The session is still in step: the next message, within the limit, goes through.
        Assert.StartsWith("250", await client.CommandAsync("RSET"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await client.DataAsync(Message("small")), StringComparison.Ordinal);
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task Data_trickling_below_the_minimum_rate_gets_421_4_4_2()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Limits = options.Limits with { MinDataRate = 1000, MinDataRateGrace = TimeSpan.FromMilliseconds(500) },
            });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);

        // A few bytes, then silence: the slowloris pattern.
        await client.SendRawAsync("From: sender@remote.test\r\n"u8.ToArray());

        Assert.StartsWith("421 4.4.2", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, await client.ReadToEndAsync());
        Assert.Empty(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_command_line_never_finished_gets_421_4_4_2_after_the_command_timeout()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Limits = options.Limits with { CommandTimeout = TimeSpan.FromSeconds(1) } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.SendRawAsync("EHLO slow"u8.ToArray());

        Assert.StartsWith("421", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(string.Empty, await client.ReadToEndAsync());
    }
}
