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
}
