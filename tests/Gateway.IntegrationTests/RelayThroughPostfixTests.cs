using System.Diagnostics;
using MailKit.Net.Smtp;

namespace Gateway.IntegrationTests;

/// <summary>Client → gateway → Postfix's smtp-sink, all real sockets on loopback.</summary>
public sealed class RelayThroughPostfixTests
{
    [Fact(Timeout = 60_000)]
    public async Task A_message_arrives_with_our_headers_and_the_original_bytes_after_them()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        var original = "From: sender@remote.test\r\nTo: user@example.test\r\nSubject: bytes\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <bytes@remote.test>\r\nX-Spam-Flag: YES\r\n\r\nline one\r\n..leading dot\r\n\tcaf\u00e9 8-bit\r\n";

        Assert.All(await client.EnvelopeAsync("sender@remote.test", "user@example.test"), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        var reply = await client.DataAsync(Encoding.UTF8.GetBytes(original + ".\r\n"));

        Assert.StartsWith("250 2.0.0", reply, StringComparison.Ordinal);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal("sender@remote.test", received.MailFrom);
        Assert.Equal(["user@example.test"], received.Recipients);
        Assert.Contains("\nX-Spam-Flag: NO\n", received.Message, StringComparison.Ordinal);
        Assert.Contains("\nX-Spam-Score: 0.00\n", received.Message, StringComparison.Ordinal);
        Assert.Contains("\nX-Spam-Status: No, score=0.00", received.Message, StringComparison.Ordinal);
        Assert.Contains("by gateway.example.test (Gateway) with ESMTP id", received.Message, StringComparison.Ordinal);

        // The client's spoofed X-Spam-Flag is gone; the rest is as sent (smtp-sink writes LF and unstuffs dots).
        var expectedTail = original.Replace("X-Spam-Flag: YES\r\n", string.Empty, StringComparison.Ordinal).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n..", "\n.", StringComparison.Ordinal);
        Assert.EndsWith(expectedTail, received.Message.TrimEnd('\n') + "\n", StringComparison.Ordinal);
        Assert.Equal(1, received.Message.Split("X-Spam-Flag:").Length - 1);
    }

    [Fact(Timeout = 60_000)]
    public async Task Swaks_delivers_through_the_gateway()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint);

        var (exitCode, output) = await Tools.RunAsync("swaks", "--server", $"127.0.0.1:{gateway.EndPoint.Port}", "--from", "swaks@remote.test", "--to", "user@example.test", "--header", "Subject: swaks test");

        Assert.True(exitCode == 0, output);
        Assert.Contains("<-  250 2.0.0", output, StringComparison.Ordinal);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Contains("Subject: swaks test", received.Message, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Flag: NO", received.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task One_hundred_concurrent_sessions_are_each_delivered_exactly_once()
    {
        await using var sink = await SmtpSink.StartAsync();
        // A generous downstream timeout: under CI's parallel test load, smtp-sink accepting and dumping
        // 100 transactions at once once took longer than the default test's 5 s for one command.
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint, options => options with
            {
                Limits = options.Limits with { MaxConnectionsPerIp = 200 },
                Downstream = options.Downstream with { Timeout = TimeSpan.FromSeconds(30) },
            });
        var messages = Enumerable.Range(0, 100).Select(i => TestMessages.Create(subject: $"concurrent {i}")).ToList();

        var replies = await Task.WhenAll(messages.Select(message => TestMessages.SendAsync(gateway.EndPoint, message)));

        Assert.All(replies, reply => Assert.StartsWith("2.0.0", reply, StringComparison.Ordinal));
        var received = await sink.WaitForMessagesAsync(100);
        Assert.Equal(100, received.Count);
        var ids = received.Select(message => message.Message.Split('\n').Single(line => line.StartsWith("Message-Id:", StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.Equal(100, ids.Distinct().Count());
        Assert.All(messages, message => Assert.Contains(ids, id => id.Contains(message.MessageId!, StringComparison.Ordinal)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Downstream_refusing_data_permanently_gives_the_client_that_5xx()
    {
        await using var sink = await SmtpSink.StartAsync("-f", "data");
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create()));

        Assert.Equal(5, (int)error.StatusCode / 100);
    }

    [Fact(Timeout = 60_000)]
    public async Task Downstream_deferring_data_gives_the_client_451_4_4_0()
    {
        await using var sink = await SmtpSink.StartAsync("-r", "data");
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint);

        var error = await Assert.ThrowsAsync<SmtpCommandException>(() => TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create()));

        Assert.Equal(451, (int)error.StatusCode);
        Assert.StartsWith("4.4.0", error.Message, StringComparison.Ordinal);
    }
}

internal static class Tools
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start (install it: see .ci/run)");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
