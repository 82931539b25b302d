using System.Net.Sockets;

namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// proxy_protocol believes a header only from the balancers named in proxy_protocol_from, and a connection
/// that has not sent its header yet already holds one of max_connections' slots.
/// </summary>
public sealed class ProxyProtocolTests
{
    private static byte[] ProxyLine(int port) => Encoding.ASCII.GetBytes($"PROXY TCP4 203.0.113.9 127.0.0.1 40000 {port}\r\n");

    [Fact(Timeout = 60_000)]
    public async Task A_peer_outside_proxy_protocol_from_is_a_direct_client_and_cannot_claim_another_address()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { ProxyProtocol = true, ProxyProtocolFrom = ["10.99.0.0/16"] });

        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("220", client.Greeting, StringComparison.Ordinal);
        await client.SendRawAsync(ProxyLine(gateway.EndPoint.Port)); // SmtpServer takes it as its own PROXY command, unanswered
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        Assert.StartsWith("250", await client.DataAsync("Subject: direct\r\n\r\nhi\r\n.\r\n"u8.ToArray()), StringComparison.Ordinal);

        var message = Encoding.ASCII.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("([127.0.0.1])", message, StringComparison.Ordinal);
        Assert.DoesNotContain("203.0.113.9", message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Connections_still_owing_their_proxy_header_count_against_max_connections()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                ProxyProtocol = true,
                ProxyProtocolFrom = ["127.0.0.0/8"],
                Limits = options.Limits with { MaxConnections = 3 },
            });
        var silent = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var tcp = new TcpClient();
                await tcp.ConnectAsync(gateway.EndPoint);
                silent.Add(tcp);
            }

            // The fourth connection, even with a proper header, finds every slot taken.
            string greeting;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            do
            {
                await using var fourth = await RawSmtpClient.ConnectAsync(gateway.EndPoint, ProxyLine(gateway.EndPoint.Port));
                greeting = fourth.Greeting;
            }
            while (!greeting.StartsWith("421", StringComparison.Ordinal) && DateTime.UtcNow < deadline);

            Assert.StartsWith("421 4.7.0", greeting, StringComparison.Ordinal);
        }
        finally
        {
            silent.ForEach(tcp => tcp.Dispose());
        }
    }
}
