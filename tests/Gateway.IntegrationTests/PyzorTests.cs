using System.Diagnostics;
using Gateway.Core.Pyzor;
using MimeKit;

namespace Gateway.IntegrationTests;

/// <summary>
/// Pyzor against a real pyzord on loopback (issue 36): our digests equal Pyzor's own on the same messages; a
/// digest reported is found by the next check and marks the message PYZOR_SPAM over SMTP; a server that does not
/// answer gives no symbol and no delay beyond its timeout.
/// </summary>
public sealed class PyzorTests
{
    private static readonly string[] Samples =
    [
        "From: a@remote.test\nSubject: offer\n\nCheap watches for everyone who reads this message today\nReplica designer bags at prices you will not believe\nVisit https://shop.example/deal?id=12345 or write to sales@shop.example\nShort\nOne more line of text that is long enough to count here\nAnd another line with content for the digest to read\nThe last line of the offer before the signature\n",
        "From: a@remote.test\nSubject: tiny\n\nJust one line that is long enough\n",
        "From: a@remote.test\nSubject: html\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{color:red}</style><script>var x=1;</script></head><body><p>Your account &amp; your money</p><p>Verify your details now</p><div>Click the button below to continue</div></body></html>\n",
        "From: a@remote.test\nSubject: multipart\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nGr=FC=DFe aus M=FCnchen, wir haben ein Angebot f=FCr Sie\nBitte antworten Sie bald auf diese Nachricht hier\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\n--b--\n",
    ];

    private static MimeMessage Parse(string text) => MimeMessage.Load(new MemoryStream(System.Text.Encoding.Latin1.GetBytes(text)));

    /// <summary>The sample as mail to one of ours (the digest reads the body only).</summary>
    private static MimeMessage Mail(string text)
    {
        var message = Parse(text.Replace("\n", "\r\n", StringComparison.Ordinal));
        message.To.Add(MailboxAddress.Parse("user@example.test"));
        return message;
    }

    private static async Task<string> PyzorsOwnDigestAsync(string message)
    {
        var start = new ProcessStartInfo("/usr/bin/pyzor", ["digest"]) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(message);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return output.Trim();
    }

    [Fact(Timeout = 60_000)]
    public async Task Our_digests_are_pyzors_own()
    {
        foreach (var sample in Samples)
        {
            Assert.Equal(await PyzorsOwnDigestAsync(sample), PyzorDigest.Of(Parse(sample)));
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task A_reported_digest_is_found_by_the_next_check_and_marks_the_message_over_smtp()
    {
        await using var pyzord = await PyzordServer.StartAsync();
        var message = Samples[0];
        var digest = PyzorDigest.Of(Parse(message))!;
        var client = pyzord.Client();
        Assert.Equal(0, (await client.CheckAsync(digest, CancellationToken.None)).Count);
        Assert.True((await client.ReportAsync(digest, CancellationToken.None)).IsOk);
        Assert.Equal(1, (await client.CheckAsync(digest, CancellationToken.None)).Count);

        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Pyzor = new Gateway.Core.Configuration.PyzorOptions { Servers = [pyzord.EndPoint.ToString()] },
        });
        await TestMessages.SendAsync(gateway.EndPoint, Mail(message));
        Assert.Contains("PYZOR_SPAM", System.Text.Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Learning_spam_reports_its_digest_to_the_configured_pyzor_servers()
    {
        await using var pyzord = await PyzordServer.StartAsync();
        await using var redis = await RedisServer.StartAsync();
        var folder = Directory.CreateTempSubdirectory("pyzor-learn-").FullName;
        var spam = Path.Combine(folder, "spam.eml");
        await File.WriteAllTextAsync(spam, Samples[0].Replace("\n", "\r\n", StringComparison.Ordinal));
        var config = Path.Combine(folder, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"domains: [example.test]\nstate: {{backend: redis, redis: \"{redis.EndPoint}\"}}\nlearning: {{secret_file: {Path.Combine(folder, "learning.secret")}}}\npyzor: {{servers: [\"{pyzord.EndPoint}\"]}}\n");

        var learned = await GatewayCli.RunAsync("learn", "spam", spam, "--config", config);

        Assert.Equal(0, learned.ExitCode);
        Assert.Contains("1 reported to pyzor", learned.Output, StringComparison.Ordinal);
        Assert.Equal(1, (await pyzord.Client().CheckAsync(PyzorDigest.Of(Parse(Samples[0]))!, CancellationToken.None)).Count);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_server_that_does_not_answer_gives_no_symbol_and_no_delay_beyond_its_timeout()
    {
        var silent = new IPEndPoint(IPAddress.Loopback, FreePort.NextUdp());
        var started = Stopwatch.GetTimestamp();
        await Assert.ThrowsAsync<TimeoutException>(() => new PyzorClient(silent, TimeSpan.FromMilliseconds(500)).CheckAsync(new string('a', 40), CancellationToken.None));
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10)); // bounded, not hung (no wall-clock assertion on its exact length)

        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Pyzor = new Gateway.Core.Configuration.PyzorOptions { Servers = [silent.ToString()], Timeout = TimeSpan.FromMilliseconds(500) },
        });
        await TestMessages.SendAsync(gateway.EndPoint, Mail(Samples[0]));
        Assert.DoesNotContain("PYZOR_SPAM", System.Text.Encoding.UTF8.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }
}
