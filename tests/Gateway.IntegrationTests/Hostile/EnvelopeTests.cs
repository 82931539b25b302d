namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// What an attacker tries with envelope addresses, over real sockets: routing through a downstream that
/// trusts us (open relay), and addresses whose quoting, once lost, would change what the downstream reads.
/// </summary>
public sealed class EnvelopeTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("victim%evil.test@example.test")]
    [InlineData("evil.test!victim@example.test")]
    [InlineData("\"victim@evil.test\"@example.test")]
    [InlineData("\"victim%evil.test\"@example.test")]
    public async Task A_recipient_whose_local_part_routes_elsewhere_is_refused_and_never_reaches_the_downstream(string recipient)
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", recipient, "user@example.test");
        var data = await client.DataAsync("Subject: relay?\r\n\r\nhello\r\n.\r\n"u8.ToArray());

        Assert.StartsWith("550 5.7.1", replies[0], StringComparison.Ordinal);
        Assert.StartsWith("250", replies[1], StringComparison.Ordinal);
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Equal(["user@example.test"], received.Recipients);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_real_Postfix_behind_the_gateway_never_sees_a_routed_recipient_though_it_would_relay_one()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint);
        await using var gateway = await TestGateway.StartAsync(postfix.EndPoint, options => options with { Downstream = options.Downstream with { Timeout = TimeSpan.FromSeconds(30) } });

        // The control: straight to Postfix from a trusted address, the percent hack relays to evil.test.
        await using (var direct = await RawSmtpClient.ConnectAsync(postfix.EndPoint))
        {
            Assert.All(await direct.EnvelopeAsync("sender@remote.test", "victim%evil.test@example.test"), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
            Assert.StartsWith("250", await direct.DataAsync("Subject: direct\r\n\r\nhello\r\n.\r\n"u8.ToArray()), StringComparison.Ordinal);
        }

        var control = await sink.WaitForMessagesAsync(1);
        Assert.True(control.Any(message => message.Recipients.Contains("victim@evil.test")), $"the control never reached the sink; Postfix's log:\n{postfix.Log}");

        // Through the gateway: every routed form is refused, the ordinary recipient goes through.
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        var replies = await client.EnvelopeAsync("sender@remote.test", "victim%evil.test@example.test", "evil.test!victim@example.test", "\"victim@evil.test\"@example.test", "user@example.test");
        Assert.StartsWith("250", await client.DataAsync("Subject: through\r\n\r\nhello\r\n.\r\n"u8.ToArray()), StringComparison.Ordinal);

        Assert.All(replies.Take(3), reply => Assert.StartsWith("550 5.7.1", reply, StringComparison.Ordinal));
        Assert.StartsWith("250", replies[3], StringComparison.Ordinal);
        var delivered = await sink.WaitForMessagesAsync(2);
        Assert.True(delivered.Count == 2, $"{delivered.Count} of 2 messages reached the sink; Postfix's log:\n{postfix.Log}");
        var through = Assert.Single(delivered, message => message.Message.Contains("Subject: through", StringComparison.Ordinal));
        Assert.Equal(["user@example.test"], through.Recipients);
        Assert.Single(delivered, message => message.Recipients.Any(recipient => recipient.Contains("evil", StringComparison.Ordinal)));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_real_Postfix_behind_the_gateway_keeps_a_quoted_sender_one_address()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var postfix = await PostfixServer.StartAsync(sink.EndPoint);
        await using var gateway = await TestGateway.StartAsync(postfix.EndPoint, options => options with { Downstream = options.Downstream with { Timeout = TimeSpan.FromSeconds(30) } });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("\"ceo@example.test> ENVID=x\"@attacker.test", "user@example.test");
        Assert.StartsWith("250", await client.DataAsync("Subject: quoted\r\n\r\nhello\r\n.\r\n"u8.ToArray()), StringComparison.Ordinal);

        // Postfix's own log names the sender it took, and its client relays that same sender on.
        Assert.Single(await sink.WaitForMessagesAsync(1));
        Assert.Contains("from=<\"ceo@example.test> ENVID=x\"@attacker.test>", postfix.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("from=<ceo@example.test>", postfix.Log, StringComparison.Ordinal);
        var mailArgs = File.ReadAllText(Directory.EnumerateFiles(sink.Folder).Single()).Split('\n').Single(line => line.StartsWith("X-Mail-Args: ", StringComparison.Ordinal));
        Assert.StartsWith("X-Mail-Args: <\"ceo@example.test> ENVID=x\"@attacker.test>", mailArgs, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task An_operator_can_allow_routing_for_a_domain_whose_server_routes_on_purpose()
    {
        await using var sink = await SmtpSink.StartAsync();
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint, options => options with { AllowUntrustedRouting = ["example.test"] });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        var replies = await client.EnvelopeAsync("sender@remote.test", "user%sub@example.test");

        Assert.StartsWith("250", replies[0], StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Quoted_addresses_reach_the_downstream_quoted_so_no_client_byte_becomes_a_parameter_or_an_address()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { AllowUntrustedRouting = ["example.test"] });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        // The sender's quotes hide "> ENVID=x"; the recipient's hide a second address and a closing bracket.
        var replies = await client.EnvelopeAsync("\"ceo@example.test> ENVID=x\"@attacker.test", "\"victim@evil.test>\"@example.test", "\"with \\\"quote\\\" and \\\\\"@example.test");
        var data = await client.DataAsync("Subject: quoted\r\n\r\nhello\r\n.\r\n"u8.ToArray());

        Assert.All(replies, reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        Assert.StartsWith("250", data, StringComparison.Ordinal);
        var commands = downstream.Commands.ToList();
        Assert.Contains("MAIL FROM:<\"ceo@example.test> ENVID=x\"@attacker.test>", commands);
        Assert.Contains("RCPT TO:<\"victim@evil.test>\"@example.test>", commands);
        Assert.Contains("RCPT TO:<\"with \\\"quote\\\" and \\\\\"@example.test>", commands);
    }

    [Fact(Timeout = 60_000)]
    public async Task The_downstream_reads_a_quoted_sender_as_one_address_with_no_parameters()
    {
        // Postfix's smtp-sink parses the MAIL line as Postfix does: one address, then the parameters.
        await using var sink = await SmtpSink.StartAsync();
        await using var gateway = await TestGateway.StartAsync(sink.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        await client.EnvelopeAsync("\"ceo@example.test> ENVID=x\"@attacker.test", "user@example.test");
        Assert.StartsWith("250", await client.DataAsync("Subject: quoted\r\n\r\nhello\r\n.\r\n"u8.ToArray()), StringComparison.Ordinal);

        var received = Assert.Single(await sink.WaitForMessagesAsync(1));
        var mailArgs = File.ReadAllText(Directory.EnumerateFiles(sink.Folder).Single()).Split('\n').Single(line => line.StartsWith("X-Mail-Args: ", StringComparison.Ordinal));
        Assert.Equal("X-Mail-Args: <\"ceo@example.test> ENVID=x\"@attacker.test>", mailArgs);
        Assert.DoesNotContain("ENVID=x ", mailArgs, StringComparison.Ordinal);
        Assert.Equal(["user@example.test"], received.Recipients);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("SIZE=99999999999999999999", "552 5.3.4")]
    [InlineData("SIZE=12x", "501 5.5.4")]
    [InlineData("BODY=BINARYMIME", "501 5.5.4")]
    public async Task Mail_parameters_that_are_not_what_they_claim_are_refused_not_mirrored(string parameter, string expected)
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        var reply = await client.CommandAsync($"MAIL FROM:<sender@remote.test> {parameter}");

        Assert.StartsWith(expected, reply, StringComparison.Ordinal);
        Assert.DoesNotContain(downstream.Commands, command => command.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact(Timeout = 60_000)]
    public async Task A_quoted_pair_that_would_unescape_to_a_line_break_is_refused()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);

        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        var reply = await client.CommandAsync("MAIL FROM:<\"a\\r\\nRCPT TO:<x@evil.test>\"@remote.test>");

        Assert.Matches("^5", reply);
        Assert.StartsWith("250", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
        Assert.DoesNotContain(downstream.Commands, command => command.Contains("evil", StringComparison.Ordinal));
    }

    /// <summary>
    /// SMTPUTF8 edge cases (RFC 6531): a UTF-8 address needs the parameter on MAIL, or the downstream would
    /// get an address it must not take; bytes that are not UTF-8 would reach it as U+FFFD, another address.
    /// </summary>
    [Theory(Timeout = 60_000)]
    [InlineData("MAIL FROM:<jos\u00e9@remote.test>", null, "553 5.6.7")]
    [InlineData("MAIL FROM:<jos\u00e9@remote.test> SMTPUTF8", null, "250")]
    [InlineData("MAIL FROM:<jos\u00e9@remote.test> smtputf8", null, "250")]
    [InlineData("MAIL FROM:<sender@remote.test>", "RCPT TO:<j\u00fcrgen@example.test>", "553 5.6.7")]
    [InlineData("MAIL FROM:<sender@remote.test> SMTPUTF8", "RCPT TO:<j\u00fcrgen@example.test>", "250")]
    [InlineData("MAIL FROM:<\u00ff\u00fe@remote.test> SMTPUTF8", null, "553 5.1.7")]
    public async Task Utf8_addresses_need_smtputf8_and_bytes_that_are_not_utf8_are_refused(string mail, string? rcpt, string expected)
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);

        // \u00ff\u00fe stands for the raw bytes FF FE (Latin-1), which are no UTF-8; the rest goes as UTF-8.
        var raw = mail.Contains('\u00ff', StringComparison.Ordinal) ? Encoding.Latin1.GetBytes(mail + "\r\n") : Encoding.UTF8.GetBytes(mail + "\r\n");
        await client.SendRawAsync(raw);
        var mailReply = await client.ReadReplyAsync();
        var reply = mailReply;
        if (rcpt is not null)
        {
            Assert.StartsWith("250", mailReply, StringComparison.Ordinal);
            await client.SendRawAsync(Encoding.UTF8.GetBytes(rcpt + "\r\n"));
            reply = await client.ReadReplyAsync();
        }

        Assert.StartsWith(expected, reply, StringComparison.Ordinal);
    }
}
