using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Configuration;
using Gateway.Core.DmarcReports;
using Gateway.Core.Dns;
using MimeKit;

namespace Gateway.IntegrationTests;

/// <summary>
/// DMARC aggregate reports (issue 36): counted evaluations become one gzipped report per policy domain and period,
/// mailed through a loopback relay to every rua= address that may have it (the same organisation, or a third party
/// that authorises it in DNS on a loopback server, within its size limit); the XML validates against the schema of
/// ../shared/conformance (xmllint); two instances sharing Redis send one report, not two.
/// </summary>
public sealed class DmarcReportTests
{
    private static readonly DmarcReportsOptions Options = new() { Enabled = true, Relay = "127.0.0.1:25", From = "dmarc-reports@gateway.example.test", OrgName = "Example Gateway", Contact = "https://gateway.example.test/dmarc" };

    private static DmarcObservation Observation(DateTimeOffset time, string ip, string disposition, params string[] rua) => new(
        time,
        new DmarcPublished("sender.test", "r", "r", "quarantine", "quarantine", "quarantine", false, [.. rua.Select(Address)]),
        new DmarcReportRow(ip, disposition, disposition == "none" ? "pass" : "fail", "fail", "sender.test", "bounces.sender.test", [new DmarcDkimResult("sender.test", "s1", disposition == "none" ? "pass" : "fail")], "bounces.sender.test", "mfrom", "softfail"));

    private static DmarcReportAddress Address(string rua)
    {
        var bang = rua.IndexOf('!', StringComparison.Ordinal);
        return new DmarcReportAddress(bang < 0 ? rua : rua[..bang], bang < 0 ? null : long.Parse(rua[(bang + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_period_of_evaluations_becomes_one_valid_report_for_each_address_that_may_have_it()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("sender.test._report._dmarc.reports.example", "v=DMARC1");
        await using var relay = await FakeDownstream.StartAsync();
        var time = new ManualClock();
        var start = time.GetUtcNow();
        var day = new DateTimeOffset(start.UtcDateTime.Date, TimeSpan.Zero);
        var reporter = new DmarcReporter(new MemoryDmarcReportStore(), Options, "gateway.example.test", new DnsClientResolver(dns.Options()), time, new RelayReportSender(relay.EndPoint, "gateway.example.test"));
        string[] rua = ["dmarc@sender.test", "agg@reports.example", "agg@not-authorised.example", "tiny@sender.test!10"];
        await reporter.RecordAsync(Observation(start, "192.0.2.10", "none", rua), CancellationToken.None);
        await reporter.RecordAsync(Observation(start.AddHours(1), "192.0.2.10", "none", rua), CancellationToken.None);
        await reporter.RecordAsync(Observation(start.AddHours(2), "198.51.100.7", "quarantine", rua), CancellationToken.None);

        var tooEarly = await reporter.SendDueAsync(CancellationToken.None); // the day is not over
        time.Advance(day.AddDays(1).AddMinutes(5) - start); // five minutes into the next UTC day
        var said = await reporter.SendDueAsync(CancellationToken.None);
        var again = await reporter.SendDueAsync(CancellationToken.None);

        Assert.Empty(tooEarly);
        Assert.Empty(again);
        Assert.Contains(said, line => line.StartsWith("sender.test -> agg@not-authorised.example: not sent: not-authorised.example does not authorise", StringComparison.Ordinal));
        Assert.Contains(said, line => line.StartsWith("sender.test -> tiny@sender.test: not sent:", StringComparison.Ordinal) && line.Contains("over its limit of 10", StringComparison.Ordinal));
        Assert.Equal(["agg@reports.example", "dmarc@sender.test"], relay.Messages.SelectMany(message => message.To).Order(StringComparer.Ordinal));

        var mail = MimeMessage.Load(new MemoryStream(relay.Messages.First().Raw));
        Assert.Equal("Report Domain: sender.test Submitter: Example Gateway Report-ID: <" + reporter.PeriodOf(day) + ".sender.test@gateway.example.test>", mail.Subject);
        var attachment = Assert.Single(mail.Attachments.OfType<MimePart>());
        var begin = day.ToUnixTimeSeconds();
        Assert.Equal($"gateway.example.test!sender.test!{begin}!{begin + 86399}.xml.gz", attachment.FileName); // the UTC day, RFC 7489's file name
        using var gz = new MemoryStream();
        attachment.Content!.DecodeTo(gz);
        var xml = new StreamReader(new GZipStream(new MemoryStream(gz.ToArray()), CompressionMode.Decompress)).ReadToEnd();
        var report = XDocument.Parse(xml);
        var rows = report.Root!.Elements("record").Select(record => (Ip: (string)record.Element("row")!.Element("source_ip")!, Count: (int)record.Element("row")!.Element("count")!)).OrderBy(row => row.Ip, StringComparer.Ordinal).ToList();
        Assert.Equal([("192.0.2.10", 2), ("198.51.100.7", 1)], rows);
        Assert.Equal("quarantine", (string)report.Root.Element("policy_published")!.Element("p")!);
        await AssertValidAsync(xml);
    }

    [Fact(Timeout = 60_000)]
    public async Task Two_instances_sharing_redis_send_one_report()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var relay = await FakeDownstream.StartAsync();
        var time = new ManualClock();
        var reporters = new List<DmarcReporter>();
        var states = new List<Gateway.Core.State.RedisStateStore>();
        foreach (var _ in new[] { 1, 2 })
        {
            var state = await Gateway.Core.State.RedisStateStore.ConnectAsync(redis.EndPoint, "gateway:", TimeSpan.FromSeconds(2));
            states.Add(state);
            reporters.Add(new DmarcReporter(new RedisDmarcReportStore(state.Connection, "gateway:", TimeSpan.FromDays(3)), Options, "gateway.example.test", null, time, new RelayReportSender(relay.EndPoint, "gateway.example.test")));
        }

        await reporters[0].RecordAsync(Observation(time.GetUtcNow(), "192.0.2.10", "none", "dmarc@sender.test"), CancellationToken.None);
        await reporters[1].RecordAsync(Observation(time.GetUtcNow(), "192.0.2.10", "none", "dmarc@sender.test"), CancellationToken.None);
        await reporters[1].RecordAsync(Observation(time.GetUtcNow(), "198.51.100.7", "quarantine", "dmarc@sender.test"), CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));
        var sent = (await Task.WhenAll(reporters.Select(reporter => reporter.SendDueAsync(CancellationToken.None)))).SelectMany(lines => lines).ToList();

        Assert.Equal("sender.test -> dmarc@sender.test: sent", Assert.Single(sent)[..38]);
        var mail = MimeMessage.Load(new MemoryStream(Assert.Single(relay.Messages).Raw));
        using var gz = new MemoryStream();
        mail.Attachments.OfType<MimePart>().Single().Content!.DecodeTo(gz);
        var report = XDocument.Load(new GZipStream(new MemoryStream(gz.ToArray()), CompressionMode.Decompress));
        Assert.Equal(3, report.Root!.Elements("record").Sum(record => (int)record.Element("row")!.Element("count")!)); // both instances' counts
        foreach (var state in states)
        {
            await state.DisposeAsync();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_message_over_smtp_from_a_domain_that_asks_for_reports_is_counted_for_its_period()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("sender.test", "v=spf1 ip4:127.0.0.0/8 -all");
        dns.AddTxt("_dmarc.sender.test", "v=DMARC1; p=none; rua=mailto:dmarc@sender.test");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            State = new StateOptions { Backend = StateBackend.Redis, Redis = redis.EndPoint },
            Classifier = options.Classifier with { Enabled = false },
            DmarcReports = Options with { Relay = downstream.EndPoint.ToString() },
        }, dns: dns);

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            await client.EnvelopeAsync("news@sender.test", ["user@example.test"]);
            Assert.StartsWith("250", await client.DataAsync(TestMessages.Crlf("From: News <news@sender.test>\r\nTo: user@example.test\r\nSubject: monthly news\r\nMessage-ID: <n1@sender.test>\r\n\r\nhello\r\n.\r\n")), StringComparison.Ordinal);
        }

        using var connection = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.EndPoint);
        var period = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86400;
        string[] domains = [];
        for (var attempt = 0; attempt < 50 && domains.Length == 0; attempt++)
        {
            await Task.Delay(attempt == 0 ? 0 : 100); // counted off the client's path
            domains = [.. (await connection.GetDatabase().SetMembersAsync($"gateway:dmarc:{period}:domains")).Select(value => value.ToString())];
        }

        Assert.Equal(["sender.test"], domains);
        var row = Assert.Single(await connection.GetDatabase().HashGetAllAsync($"gateway:dmarc:{period}:sender.test:rows"));
        Assert.Contains("\"source_ip\":\"127.0.0.1\"", row.Name.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"spf\":\"pass\"", row.Name.ToString(), StringComparison.Ordinal); // aligned SPF: mfrom sender.test
        Assert.Equal(1, (long)row.Value);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_relay_that_cannot_be_reached_leaves_the_report_for_the_next_round()
    {
        await using var relay = await FakeDownstream.StartAsync();
        var store = new MemoryDmarcReportStore();
        var time = new ManualClock();
        var down = new DmarcReporter(store, Options, "gateway.example.test", null, time, new RelayReportSender(new IPEndPoint(IPAddress.Loopback, FreePort.Next()), "gateway.example.test"));
        var up = new DmarcReporter(store, Options, "gateway.example.test", null, time, new RelayReportSender(relay.EndPoint, "gateway.example.test"));
        await down.RecordAsync(Observation(time.GetUtcNow(), "192.0.2.10", "none", "dmarc@sender.test"), CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));

        var failed = await down.SendDueAsync(CancellationToken.None);
        var retried = await up.SendDueAsync(CancellationToken.None);

        Assert.StartsWith("sender.test -> dmarc@sender.test: not sent, will try again", Assert.Single(failed), StringComparison.Ordinal);
        Assert.StartsWith("sender.test -> dmarc@sender.test: sent", Assert.Single(retried), StringComparison.Ordinal);
        Assert.Single(relay.Messages);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_domain_whose_report_xml_cannot_carry_keeps_no_other_domain_from_its_report()
    {
        await using var relay = await FakeDownstream.StartAsync();
        var time = new ManualClock();
        var reporter = new DmarcReporter(new MemoryDmarcReportStore(), Options, "gateway.example.test", null, time, new RelayReportSender(relay.EndPoint, "gateway.example.test"));
        var hostile = Observation(time.GetUtcNow(), "192.0.2.10", "none", "dmarc@aaa.test");
        hostile = hostile with
        {
            Policy = hostile.Policy with { Domain = "aaa.test" },
            Row = hostile.Row with { DkimResults = [new DmarcDkimResult("aaa.test", "s\u0001", "pass")] }, // a selector the sender wrote
        };
        await reporter.RecordAsync(hostile, CancellationToken.None);
        await reporter.RecordAsync(Observation(time.GetUtcNow(), "192.0.2.10", "none", "dmarc@sender.test"), CancellationToken.None);
        time.Advance(TimeSpan.FromDays(1));

        var said = await reporter.SendDueAsync(CancellationToken.None);

        Assert.StartsWith("aaa.test: not sent:", said[0], StringComparison.Ordinal);
        Assert.StartsWith("sender.test -> dmarc@sender.test: sent", said[1], StringComparison.Ordinal);
        Assert.Equal(["dmarc@sender.test"], Assert.Single(relay.Messages).To);
    }

    [Fact]
    public void Rua_addresses_and_their_size_limits_are_read_from_the_record()
    {
        var record = DmarcRecord.Parse("v=DMARC1; p=reject; rua=mailto:dmarc@example.org!10m, mailto:agg@reports.example,https://example.org/x; ruf=mailto:f@example.org")!;

        Assert.Equal([new DmarcReportAddress("dmarc@example.org", 10L << 20), new DmarcReportAddress("agg@reports.example", null)], record.AggregateReports);
    }

    [Theory]
    [InlineData("mailto:a@@example.org")]
    [InlineData("mailto:a@example.org%0d%0aBcc:%20victim@example.net")]
    [InlineData("mailto:Someone%20%3Ca@example.org%3E")]
    [InlineData("mailto:@example.org")]
    public void A_hostile_or_malformed_rua_address_is_left_out(string rua)
    {
        var record = DmarcRecord.Parse($"v=DMARC1; p=none; rua={rua}, mailto:ok@example.org")!;

        Assert.Equal([new DmarcReportAddress("ok@example.org", null)], record.AggregateReports);
    }

    /// <summary>
    /// xmllint against the schema in ../shared/conformance/dmarc/mail-dmarc/rua-schema.xsd, read without its
    /// targetNamespace: our report carries none on purpose (receivers' parsers expect a bare &lt;feedback&gt;, the form
    /// large reporters send), so the types are what is checked.
    /// </summary>
    private static async Task AssertValidAsync(string xml)
    {
        var schema = Path.Combine(RepositoryRoot.Shared, "conformance", "dmarc", "mail-dmarc", "rua-schema.xsd");
        Assert.True(File.Exists(schema), $"{schema} is missing (the shared conformance data beside the repository)");
        var folder = Directory.CreateTempSubdirectory("dmarc-xsd-").FullName;
        var bare = Path.Combine(folder, "rua.xsd");
        await File.WriteAllTextAsync(bare, (await File.ReadAllTextAsync(schema)).Replace("targetNamespace=\"urn:ietf:params:xml:ns:dmarc-2.0\"", string.Empty, StringComparison.Ordinal));
        var document = Path.Combine(folder, "report.xml");
        await File.WriteAllTextAsync(document, xml);
        var start = new ProcessStartInfo("xmllint", ["--noout", "--schema", bare, document]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("xmllint did not start (apt-get install libxml2-utils; tests/run installs it)");
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, errors);
    }
}
