using System.Globalization;

namespace Gateway.IntegrationTests;

/// <summary>Refusals before DATA leave a log line each, as a verdict at DATA does: an operator can answer "why was this refused?".</summary>
public sealed class RefusalLogTests
{
    /// <summary>The one log line holding <paramref name="marker"/>, once the process has written it (10 s at most).</summary>
    private static async Task<string> LogLineAsync(GatewayProcess gateway, string marker)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!gateway.Output.Contains(marker, StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        return gateway.Output.Split('\n').Single(text => text.Contains(marker, StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_relay_denied_recipient_is_logged_on_one_line_with_session_client_sender_and_reason()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint);

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<sender@remote.test>"), StringComparison.Ordinal);
            Assert.StartsWith("550", await client.CommandAsync("RCPT TO:<victim@elsewhere.test>"), StringComparison.Ordinal);
        }

        var line = await LogLineAsync(gateway, "refused at RCPT");
        Assert.Matches(@"session=[0-9a-f-]+ client=\[127\.0\.0\.1\] from=<sender@remote\.test> to=<victim@elsewhere\.test> refused at RCPT: 550 .*Relay access denied", line);
    }

    /// <summary>A right-to-left override in MAIL FROM reordered the "refused at MAIL" log line on an operator's terminal.</summary>
    [Fact(Timeout = 120_000)]
    public async Task Control_and_bidi_characters_from_the_envelope_are_escaped_in_the_log()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint);

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
            await client.SendRawAsync(Encoding.UTF8.GetBytes("MAIL FROM:<invoice\u202egnp.exe@remote.test> SMTPUTF8 SIZE=999999999\r\n"));
            Assert.StartsWith("552", await client.ReadReplyAsync(), StringComparison.Ordinal);
        }

        var line = await LogLineAsync(gateway, "refused at MAIL");
        Assert.Contains(@"invoice\u202egnp.exe@remote.test", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202e', line);
    }

    /// <summary>One line per deferred RCPT was 120 MB of log a minute from one client pipelining MAIL + 100 RCPT + RSET.</summary>
    [Fact(Timeout = 120_000)]
    public async Task Greylisting_deferrals_from_one_client_are_logged_once_per_minute_not_once_per_recipient()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: "greylisting: {enabled: true}");

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
            for (var round = 0; round < 3; round++)
            {
                var batch = new StringBuilder($"MAIL FROM:<bulk{round}@remote.test>\r\n");
                for (var i = 0; i < 100; i++)
                {
                    batch.Append(CultureInfo.InvariantCulture, $"RCPT TO:<user{i}@example.test>\r\n");
                }

                await client.SendRawAsync(Encoding.ASCII.GetBytes(batch.Append("RSET\r\n").ToString()));
                Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
                for (var i = 0; i < 100; i++)
                {
                    Assert.StartsWith("451 4.7.1", await client.ReadReplyAsync(), StringComparison.Ordinal);
                }

                Assert.StartsWith("250", await client.ReadReplyAsync(), StringComparison.Ordinal);
            }
        }

        await Task.Delay(500);
        var lines = gateway.Output.Split('\n').Count(text => text.Contains("refused at RCPT", StringComparison.Ordinal));
        Assert.Equal(1, lines);
    }
}
