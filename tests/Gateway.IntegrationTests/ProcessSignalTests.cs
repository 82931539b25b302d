namespace Gateway.IntegrationTests;

/// <summary>The gateway as a real process receiving real signals: drain on SIGTERM, nothing acknowledged on SIGKILL.</summary>
public sealed class ProcessSignalTests
{
    private static byte[] Message(string subject) => TestMessages.Wire(subject, "body\r\n");

    [Fact(Timeout = 90_000)]
    public async Task Sigterm_finishes_the_message_in_flight_tells_newcomers_421_and_exits_0()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        downstream.DataDelay = TimeSpan.FromSeconds(3);
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        await client.SendRawAsync(Message("in flight at sigterm"));
        await Task.Delay(500); // the downstream is chewing on it

        await gateway.SignalAsync("TERM");
        var newcomer = await RawSmtpClient.GreetingWhenAsync(gateway.EndPoint, "421", TimeSpan.FromSeconds(1.5));
        var reply = await client.ReadReplyAsync();

        Assert.StartsWith("421 4.3.2", newcomer, StringComparison.Ordinal);
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 90_000)]
    public async Task Sigkill_mid_data_leaves_the_client_without_250_and_the_downstream_without_mail()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        Assert.StartsWith("354", await client.CommandAsync("DATA"), StringComparison.Ordinal);
        await client.SendRawAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: half\n\nthe first half"));

        await gateway.SignalAsync("KILL");
        await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        // The client keeps the message: no reply at all, so its queue retries later.
        await Assert.ThrowsAnyAsync<IOException>(client.ReadReplyAsync);
        Assert.Empty(downstream.Messages);
    }
}
