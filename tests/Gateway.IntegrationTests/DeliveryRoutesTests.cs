using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Configuration;
using Gateway.Core.Dns;
using MailKit.Net.Smtp;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Gateway.IntegrationTests;

/// <summary>
/// Delivery to several real Postfix instances (issue 22): priorities, per-domain routes, failover when one
/// is stopped mid-load with nothing lost or doubled, recovery after the back-off, BDAT with bytes kept.
/// Each Postfix relays what it takes to one smtp-sink; its Received line says which one took it.
/// </summary>
public sealed class DeliveryRoutesTests
{
    private static DownstreamServerOptions Server(PostfixServer postfix, int priority) =>
        new() { Host = postfix.EndPoint.Address.ToString(), Port = postfix.EndPoint.Port, Priority = priority };

    private static Task<TestGateway> StartAsync(params DownstreamRouteOptions[] routes) =>
        TestGateway.StartAsync(null, options => options with
            {
                Domains = ["example.test", "sales.example.test"],
                Downstream = new DownstreamOptions { Tls = DownstreamTls.None, Timeout = TimeSpan.FromSeconds(10), Backoff = TimeSpan.FromSeconds(1), Routes = [.. routes] },
                Limits = options.Limits with { MaxConnectionsPerIp = 100 },
                Classifier = options.Classifier with { Enabled = false },
            });

    private static string RelayedBy(SmtpSink.SinkMessage message) =>
        Regex.Match(message.Message, @"by (\w+)\.example\.test \(Postfix\)").Groups[1].Value;

    /// <summary>The queue id the downstream Postfix gave the message: one per time it took it from the gateway.</summary>
    private static string QueueId(SmtpSink.SinkMessage message) =>
        Regex.Match(message.Message, @"by \w+\.example\.test \(Postfix\) with E?SMTPS? id (\w+)").Groups[1].Value;

    private static string MessageId(SmtpSink.SinkMessage message) =>
        Regex.Match(message.Message, @"(?im)^Message-Id:\s*<([^>]+)>").Groups[1].Value;

    /// <summary>The copy of one message at the sink, once it is there (copies are counted elsewhere).</summary>
    private static async Task<SmtpSink.SinkMessage> ArrivalAsync(SmtpSink sink, string messageId)
    {
        for (var i = 0; i < 300; i++)
        {
            if (sink.Messages().FirstOrDefault(message => MessageId(message) == messageId) is { } arrived)
            {
                return arrived;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{messageId} did not arrive at the sink within 30 s");
    }

    /// <summary>Sends as an MTA would: a 4xx means try again shortly (up to 40 times); returns the final reply.</summary>
    private static async Task<string> SendUntilAcceptedAsync(IPEndPoint gateway, MimeMessage message, Action? retrying = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await TestMessages.SendAsync(gateway, message);
            }
            catch (Exception exception) when (attempt < 40 && exception is SmtpCommandException { StatusCode: < (MailKit.Net.Smtp.SmtpStatusCode)500 } or SmtpProtocolException or IOException)
            {
                retrying?.Invoke();
                await Task.Delay(250);
            }
        }
    }

    [Fact(Timeout = 240_000)]
    public async Task Mail_goes_to_the_preferred_server_fails_over_when_it_stops_mid_load_and_returns_to_it_after_the_backoff()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var first = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(Name: "first"));
        await using var second = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(Name: "second"));
        await using var gateway = await StartAsync(new DownstreamRouteOptions { Domains = ["*"], Servers = [Server(first, 10), Server(second, 20)] });

        // Priorities: while the first is up, the second (priority 20) takes nothing.
        for (var i = 0; i < 5; i++)
        {
            await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: $"before {i}"));
        }

        Assert.All(await sink.WaitForMessagesAsync(5), message => Assert.Equal("first", RelayedBy(message)));

        // Load from 6 senders; the first server stops once 20 are through, and the load goes on until 20
        // more got their 250 after the stop (it ends so: a fixed count could all be through before it).
        var sent = new ConcurrentQueue<MimeMessage>();
        var retried = new ConcurrentDictionary<string, bool>();
        var stopped = false;
        var afterStop = 0;
        var next = 0;
        var senders = Enumerable.Range(0, 6).Select(_ => Task.Run(async () =>
        {
            while (!Volatile.Read(ref stopped) || Volatile.Read(ref afterStop) < 20)
            {
                var message = TestMessages.Create(subject: $"load {Interlocked.Increment(ref next)}");
                var wasStopped = Volatile.Read(ref stopped);
                Assert.StartsWith("2.0.0", await SendUntilAcceptedAsync(gateway.EndPoint, message, () => retried[message.MessageId!] = true), StringComparison.Ordinal);
                sent.Enqueue(message);
                if (wasStopped)
                {
                    Interlocked.Increment(ref afterStop);
                }
            }
        })).ToList();
        while (sent.Count < 20)
        {
            await Task.Delay(20);
        }

        await first.StopAsync();
        Volatile.Write(ref stopped, true);
        await Task.WhenAll(senders);

        // What the first server queued before it stopped goes out when it is back.
        await first.StartAgainAsync();
        var total = 5 + sent.Count;
        await sink.WaitForMessagesAsync(total);
        // A retried message can arrive twice and count toward that total while another, queued by the first
        // server just before it stopped, is still on its way: wait for every message by its id, then count copies.
        foreach (var message in sent)
        {
            await ArrivalAsync(sink, message.MessageId!);
        }

        var all = sink.Messages();
        var copies = all.Select(message => (Id: MessageId(message), By: RelayedBy(message), Queue: QueueId(message))).Distinct().ToList();
        var report = string.Join("\n", copies.OrderBy(copy => copy.Id).Select(copy => $"{copy.Id} by {copy.By} as {copy.Queue}"));
        // Nothing lost: every message that got its 250 was taken by a downstream. Exactly once, unless the
        // client had to retry it: a Postfix stopped after queueing a message but before its 250 reached us
        // made us answer 451, and the retry went to the other server — RFC 5321 6.1's duplicate, which no
        // SMTP relay can rule out. A message never answered 4xx must have been taken exactly once.
        Assert.All(sent, message => Assert.True(
            copies.Count(copy => copy.Id == message.MessageId) is var taken && taken >= 1 && (retried.ContainsKey(message.MessageId!) || taken == 1),
            $"{message.MessageId} taken {copies.Count(copy => copy.Id == message.MessageId)} times, retried: {retried.ContainsKey(message.MessageId!)}:\n{report}"));
        Assert.Contains(copies, copy => copy.By == "second");

        // After the back-off (1 s) the first server takes the mail again.
        var returned = false;
        for (var i = 0; i < 40 && !returned; i++)
        {
            await Task.Delay(250);
            var probe = TestMessages.Create(subject: $"after {i}");
            await SendUntilAcceptedAsync(gateway.EndPoint, probe);
            var delivered = await ArrivalAsync(sink, probe.MessageId!);
            returned = RelayedBy(delivered) == "first";
        }

        Assert.True(returned, "the first server never took mail again after its back-off");
    }

    [Fact(Timeout = 120_000)]
    public async Task Each_domain_goes_to_its_route_and_a_recipient_of_another_route_waits_for_its_own_transaction()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var main = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(Name: "main"));
        await using var sales = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(Name: "sales"));
        await using var gateway = await StartAsync(
            new DownstreamRouteOptions { Domains = ["sales.example.test"], Servers = [Server(sales, 10)] },
            new DownstreamRouteOptions { Domains = ["*"], Servers = [Server(main, 10)] });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "user@example.test", "buyer@sales.example.test");
        Assert.StartsWith("250", await client.DataAsync(TestMessages.Wire("to main")), StringComparison.Ordinal);
        var again = await client.EnvelopeAsync("sender@remote.test", "buyer@sales.example.test");
        Assert.StartsWith("250", await client.DataAsync(TestMessages.Wire("to sales")), StringComparison.Ordinal);

        Assert.StartsWith("250", replies[0], StringComparison.Ordinal);
        Assert.Equal("452 4.5.3 Recipients delivered to another mail server: please send to them in a separate transaction", replies[1]);
        Assert.StartsWith("250", again[0], StringComparison.Ordinal);
        var delivered = await sink.WaitForMessagesAsync(2);
        Assert.Equal("main", RelayedBy(delivered.Single(message => message.Recipients.Contains("user@example.test"))));
        Assert.Equal("sales", RelayedBy(delivered.Single(message => message.Recipients.Contains("buyer@sales.example.test"))));
    }

    [Theory(Timeout = 120_000)]
    [InlineData(true, "bdat=1")]
    [InlineData(false, "data=1")]
    public async Task A_dkim_signed_message_goes_with_bdat_where_offered_and_still_verifies_after_the_downstream(bool offered, string command)
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        var generator = new RsaKeyPairGenerator();
        generator.Init(new KeyGenerationParameters(new SecureRandom(), 2048));
        var keys = generator.GenerateKeyPair();
        dns.AddTxt("s1._domainkey.remote.test", "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(keys.Public).GetEncoded()));
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(Chunking: offered));
        var gateway = await StartAsync(new DownstreamRouteOptions { Domains = ["*"], Servers = [Server(postfix, 10)] });

        // Simple canonicalisation: any byte changed in the signed headers or the body breaks it.
        var message = TestMessages.Create(subject: "signed, then relayed", body: "line one\n.leading dot\n\n\ttabbed\ntrailing spaces   \n");
        var signer = new DkimSigner(keys.Private, "remote.test", "s1")
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Simple,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Simple,
        };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        await TestMessages.SendAsync(gateway.EndPoint, message);
        await gateway.DisposeAsync(); // closes the pooled downstream connection: Postfix logs its command counts

        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        var copy = await MimeMessage.LoadAsync(new MemoryStream(Encoding.UTF8.GetBytes(received.Message.Replace("\n", "\r\n", StringComparison.Ordinal))));
        var results = await new DkimVerification(new DnsClientResolver(dns.Options()), TimeProvider.System).VerifyAsync(copy, CancellationToken.None);
        var result = Assert.Single(results);
        Assert.True(result.Result == AuthResult.Pass, result.Reason);
        await postfix.WaitForLogAsync("disconnect from");
        Assert.Contains(command, postfix.Log.Split('\n').First(line => line.Contains("disconnect from", StringComparison.Ordinal) && line.Contains("rcpt=1", StringComparison.Ordinal)), StringComparison.Ordinal);
    }
}

/// <summary>RFC 6531 to the downstream: a non-ASCII address goes only to a server that offers SMTPUTF8, never mangled.</summary>
public sealed class DownstreamSmtpUtf8Tests
{
    private const string Recipient = "δοκιμή@example.test";

    private static async Task<(string Mail, string Rcpt, string? Data)> SendAsync(PostfixServer postfix)
    {
        await using var gateway = await TestGateway.StartAsync(postfix.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.Contains("SMTPUTF8", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        var mail = await client.CommandAsync("MAIL FROM:<sender@remote.test> SMTPUTF8");
        await client.SendRawAsync(Encoding.UTF8.GetBytes($"RCPT TO:<{Recipient}>\r\n"));
        var rcpt = await client.ReadReplyAsync();
        var data = rcpt.StartsWith("250", StringComparison.Ordinal)
            ? await client.DataAsync(Encoding.UTF8.GetBytes($"From: sender@remote.test\r\nTo: {Recipient}\r\nSubject: utf-8\r\n\r\nhello\r\n.\r\n"))
            : null;
        return (mail, rcpt, data);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_utf8_recipient_gets_553_5_6_7_when_the_downstream_does_not_offer_smtputf8_and_nothing_goes_there()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(SmtpUtf8: false));

        var (mail, rcpt, _) = await SendAsync(postfix);

        Assert.StartsWith("250", mail, StringComparison.Ordinal);
        Assert.StartsWith("553 5.6.7", rcpt, StringComparison.Ordinal);
        Assert.DoesNotContain("from=<sender@remote.test>", postfix.Log, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_utf8_recipient_reaches_a_downstream_that_offers_smtputf8_as_written()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint, new PostfixServer.Settings(SmtpUtf8: true));

        var (_, rcpt, data) = await SendAsync(postfix);

        Assert.StartsWith("250", rcpt, StringComparison.Ordinal);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        await postfix.WaitForLogAsync(Recipient);
        Assert.Contains($"to=<{Recipient}>", postfix.Log, StringComparison.Ordinal);
    }
}
