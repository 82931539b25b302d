using System.Net.Sockets;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Configuration;
using Gateway.Core.Dns;

namespace Gateway.IntegrationTests.Hostile;

/// <summary>DNS answers an attacker on the path (or a broken resolver) could send: they mean temperror, never a failed check.</summary>
public sealed class DnsAnswerTests
{
    [Fact(Timeout = 60_000)]
    public async Task An_answer_carrying_another_query_id_makes_SPF_a_temperror()
    {
        using var server = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var endPoint = (IPEndPoint)server.Client.LocalEndPoint!;
        using var stop = new CancellationTokenSource();
        var answering = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var query = await server.ReceiveAsync(stop.Token);
                var reply = query.Buffer.ToArray();
                reply[0] ^= 0x5A; // another transaction's ID
                reply[2] |= 0x80; // a response
                await server.SendAsync(reply, query.RemoteEndPoint, stop.Token);
            }
        });
        var resolver = new DnsClientResolver(new DnsOptions { Servers = [endPoint.ToString()], Timeout = TimeSpan.FromMilliseconds(500) });

        var outcome = await new SpfEvaluator(resolver, "gateway.test").CheckAsync(IPAddress.Parse("192.0.2.1"), "helo.test", "user@sender.test", CancellationToken.None);

        Assert.Equal(SpfResult.TempError, outcome.Result);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => answering);
    }
}
