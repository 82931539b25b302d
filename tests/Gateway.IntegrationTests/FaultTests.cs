namespace Gateway.IntegrationTests;

/// <summary>Broken peers: what the client is told, and that it is never told 250 for mail that did not arrive.</summary>
public sealed class FaultTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_downstream_resetting_mid_data_gives_451_4_4_2()
    {
        await using var downstream = ResettingDownstream.Start();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");

        var reply = await client.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: cut\n\nbody\n.\n"));

        Assert.StartsWith("451 4.4.2", reply, StringComparison.Ordinal);
        Assert.Equal(1, downstream.Resets);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_the_dns_server_dead_mail_still_flows_with_temperror_never_a_fail()
    {
        var dead = new Gateway.Core.Configuration.DnsOptions
        {
            Servers = [new IPEndPoint(IPAddress.Loopback, FreePort.NextUdp()).ToString()], // nobody answers there
            Timeout = TimeSpan.FromMilliseconds(300),
        };
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Dns = dead, Classifier = options.Classifier with { Enabled = false } });

        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "dns is down"));

        var text = Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("spf=temperror", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task With_a_slow_dns_server_the_message_waits_for_its_checks_and_is_delivered()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTimeout("remote.test"); // SPF's TXT query never answered: the resolver's timeout decides
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Dns = dns.Options(TimeSpan.FromMilliseconds(500)),
                Classifier = options.Classifier with { Enabled = false },
            }, dns: dns);

        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "slow dns"));

        Assert.Contains("spf=temperror", Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }
}
