namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// A sender tries to hand the downstream a verdict of its own: fields smuggled behind a bare CR, results
/// in our authserv-id's name written so a naive reader misses them, the rest of the X-Spam family, a
/// header that starts with white space, NUL bytes. The downstream (a raw line reader) must see only ours.
/// </summary>
public sealed class HeaderForgeryTests
{
    private static async Task<IReadOnlyList<string>> RelayAsync(ScriptedDownstream downstream, TestGateway gateway, string message)
    {
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.All(await client.EnvelopeAsync("sender@remote.test", "user@example.test"), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        var reply = await client.DataAsync(Encoding.Latin1.GetBytes(message + "\r\n.\r\n"));
        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.True(downstream.Messages.TryDequeue(out var lines));
        return lines;
    }

    private static IReadOnlyList<string> HeaderLines(IReadOnlyList<string> lines) => [.. lines.TakeWhile(line => line.Length > 0)];

    [Theory(Timeout = 60_000)]
    [InlineData("X-Spam-Flag: NO (forged)")]
    [InlineData("Authentication-Results: gateway.example.test; dmarc=pass header.from=bank.test")]
    [InlineData("X-MS-Exchange-Organization-SCL: -1")]
    public async Task A_field_hidden_behind_a_bare_CR_is_stripped_like_any_other(string forged)
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Downstream = options.Downstream with { ExchangeScl = true } });

        var lines = await RelayAsync(downstream, gateway, $"From: a@remote.test\r\nX-Note: a\r{forged}\r\nSubject: cr\r\n\r\nbody");

        var headers = HeaderLines(lines);
        Assert.DoesNotContain(headers, line => line.Contains('\r'));
        Assert.DoesNotContain(forged, headers);
        Assert.Contains("X-Note: a", headers);
        var name = forged[..forged.IndexOf(':')];
        Assert.True(headers.Count(line => line.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)) <= 1, string.Join("\n", headers));
    }

    [Theory(Timeout = 60_000)]
    [InlineData("Authentication-Results: (looks fine) gateway.example.test; spf=pass smtp.mailfrom=bank.test")]
    [InlineData("Authentication-Results: \"gateway.example.test\"; spf=pass smtp.mailfrom=bank.test")]
    [InlineData("Authentication-Results:\r\n (folded) GATEWAY.example.test 1; spf=pass smtp.mailfrom=bank.test")]
    [InlineData("X-Spam-Level: ")]
    [InlineData("X-Spam-Report: all clean")]
    [InlineData("X-Spam: no")]
    public async Task Verdict_fields_in_any_spelling_of_ours_are_removed(string forged)
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);

        var lines = await RelayAsync(downstream, gateway, $"From: a@remote.test\r\n{forged}\r\nSubject: forged\r\n\r\nbody");

        var headers = string.Join("\n", HeaderLines(lines));
        Assert.DoesNotContain("bank.test", headers, StringComparison.Ordinal);
        Assert.DoesNotContain(forged.Split(':')[0] + ":", headers.Replace("Authentication-Results: gateway.example.test;", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("Subject: forged", headers, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Results_of_another_authserv_id_are_kept()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);

        var lines = await RelayAsync(downstream, gateway, "From: a@remote.test\r\nAuthentication-Results: (gateway.example.test) mx.other.test; spf=pass\r\n\r\nbody");

        Assert.Contains("Authentication-Results: (gateway.example.test) mx.other.test; spf=pass", lines);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_message_starting_with_a_white_space_line_does_not_fold_into_our_last_field()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);

        var lines = await RelayAsync(downstream, gateway, " score=-100 forged continuation\r\nFrom: a@remote.test\r\nSubject: fold\r\n\r\nbody");

        Assert.DoesNotContain(lines, line => line.Contains("forged continuation", StringComparison.Ordinal));
        Assert.Contains("Subject: fold", lines);
    }

    [Fact(Timeout = 60_000)]
    public async Task Ten_thousand_fields_separated_by_bare_CRs_are_counted_against_the_header_limit()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        var fields = string.Concat(Enumerable.Range(0, 10_000).Select(i => $"X-F{i}: v\r"));

        Assert.All(await client.EnvelopeAsync("sender@remote.test", "user@example.test"), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        var reply = await client.DataAsync(Encoding.ASCII.GetBytes($"From: a@remote.test\r\n{fields}\r\n\r\nbody\r\n.\r\n"));

        Assert.StartsWith("552 5.3.4", reply, StringComparison.Ordinal);
        Assert.Equal(0, downstream.MessagesTaken);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("body\r\n\0.\r\nMAIL FROM:<x@evil.test>\r\n")]
    [InlineData("bin\0ary")]
    public async Task A_message_with_a_NUL_byte_is_refused_and_never_forwarded(string body)
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        Assert.All(await client.EnvelopeAsync("sender@remote.test", "user@example.test"), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        var reply = await client.DataAsync(Encoding.ASCII.GetBytes($"From: a@remote.test\r\nSubject: nul\r\n\r\n{body}\r\n.\r\n"));

        Assert.StartsWith("554 5.6.0", reply, StringComparison.Ordinal);
        Assert.Equal(0, downstream.MessagesTaken);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
    }
}
