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

/// <summary>What an authoritative server under an attacker's control (or a broken one) can answer, through our resolver and SPF.</summary>
public sealed class HostileDnsDataTests
{
    private static async Task<SpfOutcome> SpfAsync(LoopbackDnsServer dns, string domain) =>
        await new SpfEvaluator(new DnsClientResolver(dns.Options()), "gateway.test").CheckAsync(IPAddress.Loopback, "helo.test", $"user@{domain}", CancellationToken.None);

    [Fact(Timeout = 60_000)]
    public async Task A_64_kb_txt_answer_comes_over_tcp_and_the_one_spf_record_in_it_counts()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        for (var i = 0; i < 250; i++)
        {
            dns.AddTxt("big.test", $"verification-{i}=" + new string((char)('a' + (i % 26)), 230));
        }

        dns.AddTxt("big.test", "v=spf1 ip4:127.0.0.1 -all");

        var outcome = await SpfAsync(dns, "big.test");

        Assert.Equal(SpfResult.Pass, outcome.Result);
        Assert.Equal(2, dns.Queries.Count(query => query == "big.test Txt")); // over UDP (truncated), then over TCP
    }

    [Fact(Timeout = 60_000)]
    public async Task A_record_of_another_owner_in_the_answer_is_not_believed()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("victim.test", "v=spf1 -all");
        dns.AddStray("victim.test", LoopbackDnsServer.Txt("attacker.test", ["v=spf1 +all"]));
        dns.AddTxt("plain.test", "some other text");
        dns.AddStray("plain.test", LoopbackDnsServer.Txt("elsewhere.test", ["v=spf1 +all"]));

        var victim = await SpfAsync(dns, "victim.test");
        var plain = await SpfAsync(dns, "plain.test");

        Assert.Equal(SpfResult.Fail, victim.Result); // not a permerror for two records: the stray one is not ours
        Assert.Equal(SpfResult.None, plain.Result);
    }

    [Fact(Timeout = 60_000)]
    public async Task Cname_chains_are_followed_and_a_cname_loop_or_an_include_loop_ends_without_a_pass()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddCname("alias.test", "hop1.test");
        dns.AddCname("hop1.test", "hop2.test");
        dns.AddTxt("hop2.test", "v=spf1 ip4:127.0.0.1 -all");
        dns.AddCname("loop-a.test", "loop-b.test");
        dns.AddCname("loop-b.test", "loop-a.test");
        dns.AddTxt("self.test", "v=spf1 include:self.test -all");
        dns.AddTxt("ping.test", "v=spf1 include:pong.test -all");
        dns.AddTxt("pong.test", "v=spf1 include:ping.test -all");

        Assert.Equal(SpfResult.Pass, (await SpfAsync(dns, "alias.test")).Result);
        Assert.Equal(SpfResult.None, (await SpfAsync(dns, "loop-a.test")).Result);
        Assert.Equal(SpfResult.PermError, (await SpfAsync(dns, "self.test")).Result);
        Assert.Equal(SpfResult.PermError, (await SpfAsync(dns, "ping.test")).Result);
        Assert.True(dns.Queries.Count(query => query.StartsWith("ping.test", StringComparison.Ordinal)) <= 10);
    }
}
