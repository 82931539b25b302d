namespace Gateway.IntegrationTests;

/// <summary>
/// limits.max_message_memory: messages in progress together hold at most that much; a DATA beyond it is
/// read on, dropped, and answered 452 4.3.1 (the sender keeps it and retries), a MAIL whose SIZE cannot fit
/// what is left hears the same, and the memory comes back with each reply and each lost connection.
/// </summary>
public sealed class MessageMemoryTests
{
    private const int Limit = 200_000;

    private static Task<TestGateway> StartAsync(FakeDownstream downstream, Func<Core.Configuration.LimitsOptions, Core.Configuration.LimitsOptions>? more = null) =>
        TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Limits = (more ?? (limits => limits))(options.Limits with { MaxMessageSize = Limit, MaxMessageMemory = Limit }),
        });

    private static byte[] Content(string subject, int bytes) =>
        [.. TestMessages.Crlf($"From: sender@remote.test\nTo: user@example.test\nSubject: {subject}\n\n"), .. Enumerable.Repeat("0123456789abcdef\r\n"u8.ToArray(), bytes / 18).SelectMany(line => line)];

    /// <summary>The envelope, then DATA: the client may send content from here on.</summary>
    private static async Task InDataAsync(RawSmtpClient client)
    {
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
    }

    private static string[] Subjects(FakeDownstream downstream) =>
        [.. downstream.Messages.Select(message => Encoding.ASCII.GetString(message.Raw).Split("\r\n").First(line => line.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..])];

    /// <summary>Asks MAIL with a SIZE until the gateway says the memory cannot hold it (or can): the other session's content has been read.</summary>
    private static async Task UntilMailWithSizeGetsAsync(RawSmtpClient client, int size, string expected)
    {
        while (true)
        {
            var reply = await client.CommandAsync($"MAIL FROM:<sender@remote.test> SIZE={size}");
            await client.CommandAsync("RSET");
            if (reply.StartsWith(expected, StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(20);
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_that_finds_the_memory_held_by_another_gets_452_4_3_1_and_goes_through_once_it_is_given_back()
    {
        var deferredAtData = Metrics.GatewayMetrics.MessageMemoryDeferred.WithLabels("data").Value;
        var deferredAtMail = Metrics.GatewayMetrics.MessageMemoryDeferred.WithLabels("mail").Value;
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartAsync(downstream);
        await using var holder = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await using var other = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await InDataAsync(holder);
        await holder.SendRawAsync(Content("held", 150_000)); // and no end of DATA yet

        Assert.StartsWith("250", await other.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        await UntilMailWithSizeGetsAsync(other, 100_000, "452 4.3.1");

        // Without a SIZE the message is read to its end, dropped, and deferred.
        Assert.StartsWith("250", await other.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await other.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("452 4.3.1", await other.DataAsync([.. Content("deferred", 100_000), .. "\r\n.\r\n"u8]), StringComparison.Ordinal);
        Assert.True(Metrics.GatewayMetrics.MessageMemoryDeferred.WithLabels("data").Value > deferredAtData);
        Assert.True(Metrics.GatewayMetrics.MessageMemoryDeferred.WithLabels("mail").Value > deferredAtMail);

        // The holder ends its message: relayed, and its memory is given back with the reply.
        await holder.SendRawAsync("\r\n.\r\n"u8.ToArray());
        Assert.StartsWith("250", await holder.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(["held"], Subjects(downstream));

        // The sender comes back, as a 452 asks: this time it goes through.
        Assert.StartsWith("250", await other.CommandAsync("RSET"), StringComparison.Ordinal);
        Assert.StartsWith("250", await other.CommandAsync("MAIL FROM:<sender@remote.test> SIZE=100000"), StringComparison.Ordinal);
        Assert.StartsWith("250", await other.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await other.DataAsync([.. Content("retried", 100_000), .. "\r\n.\r\n"u8]), StringComparison.Ordinal);
        Assert.Equal(["held", "retried"], Subjects(downstream));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_message_of_exactly_the_largest_size_gets_through_a_memory_of_that_size()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartAsync(downstream);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");

        // Every body line starts with a dot, so the wire carries more than the message (dot-stuffing), and its end.
        var message = new List<byte>(TestMessages.Crlf("From: sender@remote.test\nTo: user@example.test\nSubject: exact\n\n"));
        while (message.Count < Limit)
        {
            message.AddRange(Encoding.ASCII.GetBytes("." + new string('x', 97) + "\r\n"));
        }

        message.RemoveRange(Limit, message.Count - Limit);
        var wire = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString([.. message]).Replace("\r\n.", "\r\n..", StringComparison.Ordinal));

        Assert.StartsWith("250", await client.DataAsync([.. wire, .. "\r\n.\r\n"u8]), StringComparison.Ordinal);
        Assert.Equal(["exact"], Subjects(downstream));
    }

    [Fact(Timeout = 30_000)]
    public async Task A_connection_lost_in_the_middle_of_data_gives_its_memory_back()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartAsync(downstream);
        await using var other = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("250", await other.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        await using (var holder = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            await InDataAsync(holder);
            await holder.SendRawAsync(Content("lost", 150_000));
            await UntilMailWithSizeGetsAsync(other, 100_000, "452 4.3.1");
        }

        await UntilMailWithSizeGetsAsync(other, Limit - 10_000, "250");
        Assert.StartsWith("250", await other.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await other.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await other.DataAsync([.. Content("whole", 150_000), .. "\r\n.\r\n"u8]), StringComparison.Ordinal);
        Assert.Equal(["whole"], Subjects(downstream));
    }

    [Fact(Timeout = 30_000)]
    public async Task One_client_holds_at_most_its_share_and_others_still_get_through()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        // Memory for four messages of the largest size; one client (an address, an IPv6 /64) may hold a quarter.
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Limits = options.Limits with { MaxMessageSize = Limit, MaxMessageMemory = 4 * Limit },
            ProxyProtocol = true, // the clients' addresses, from a balancer's header
            ProxyProtocolFrom = ["127.0.0.0/8"],
        });
        await using var holder = await ProxiedAsync(gateway, "192.0.2.10");
        await using var sameClient = await ProxiedAsync(gateway, "192.0.2.10");
        await using var otherClient = await ProxiedAsync(gateway, "198.51.100.20");
        await InDataAsync(holder);
        await holder.SendRawAsync(Content("held", 150_000));

        Assert.StartsWith("250", await sameClient.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        await UntilMailWithSizeGetsAsync(sameClient, 100_000, "452 4.3.1");
        Assert.StartsWith("250", await sameClient.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await sameClient.CommandAsync("RCPT TO:<user@example.test>"), StringComparison.Ordinal);
        Assert.StartsWith("452 4.3.1", await sameClient.DataAsync([.. Content("same", 100_000), .. "\r\n.\r\n"u8]), StringComparison.Ordinal);

        await otherClient.EnvelopeAsync("sender@remote.test", "user@example.test");
        Assert.StartsWith("250", await otherClient.DataAsync([.. Content("other", 150_000), .. "\r\n.\r\n"u8]), StringComparison.Ordinal);

        await holder.SendRawAsync("\r\n.\r\n"u8.ToArray());
        Assert.StartsWith("250", await holder.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(["other", "held"], Subjects(downstream));
    }

    private static async Task<RawSmtpClient> ProxiedAsync(TestGateway gateway, string client) =>
        await RawSmtpClient.ConnectAsync(gateway.EndPoint, Encoding.ASCII.GetBytes($"PROXY TCP4 {client} 127.0.0.1 40000 25\r\n"));

    [Fact(Timeout = 30_000)]
    public async Task Data_that_falls_silent_for_the_command_timeout_gets_421_4_4_2_with_the_rate_check_off()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await StartAsync(downstream, limits => limits with { MinDataRate = 0, CommandTimeout = TimeSpan.FromSeconds(1) });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await InDataAsync(client);

        await client.SendRawAsync(Content("stalled", 100_000));

        Assert.StartsWith("421 4.4.2", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task Data_that_keeps_arriving_may_take_longer_than_the_command_timeout()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        // 2 s, not 1: the test's own pauses (and its commands before DATA) keep an eightfold margin on a busy machine.
        await using var gateway = await StartAsync(downstream, limits => limits with { MinDataRate = 0, CommandTimeout = TimeSpan.FromSeconds(2) });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await InDataAsync(client);

        await client.SendRawAsync(Content("steady", 1_000));
        for (var piece = 0; piece < 12; piece++)
        {
            await Task.Delay(250); // 3 s in all, never more than 0.25 s of silence
            await client.SendRawAsync("more\r\n"u8.ToArray());
        }

        await client.SendRawAsync("\r\n.\r\n"u8.ToArray());
        Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
        Assert.Equal(["steady"], Subjects(downstream));
    }
}
