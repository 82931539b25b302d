namespace Gateway.IntegrationTests;

/// <summary>Each verdict, reached through the real pipeline and scoring, and what the client and downstream see.</summary>
public sealed class VerdictTests
{
    private static readonly byte[] Message = TestMessages.Crlf("From: sender@remote.test\nTo: user@example.test\nSubject: verdict\n\nbody\n.\n");

    private static async Task<(string Reply, FakeDownstream Downstream)> SendAsync(IMessageCheckFactory check, Func<Gateway.Core.Configuration.GatewayOptions, Gateway.Core.Configuration.GatewayOptions>? configure = null, string onCheckError = "accept")
    {
        var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, configure, SymbolCheck.RulesFolder(onCheckError), [check.Create()]);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");
        var reply = await client.DataAsync(Message);
        return (reply, downstream);
    }

    [Fact(Timeout = 30_000)]
    public async Task Reject_is_550_5_7_1_with_the_reasons_and_nothing_reaches_the_downstream()
    {
        var (reply, downstream) = await SendAsync(new IMessageCheckFactory("TEST_REJECT"));
        await using var _ = downstream;

        Assert.StartsWith("550 5.7.1 Message rejected as spam: score 20.00 (TEST_REJECT)", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task Tag_forwards_with_x_spam_flag_yes_and_the_symbols()
    {
        var (reply, downstream) = await SendAsync(new IMessageCheckFactory("TEST_TAG"));
        await using var _ = downstream;

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Encoding.ASCII.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("X-Spam-Flag: YES\r\n", text, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Score: 7.00\r\n", text, StringComparison.Ordinal);
        Assert.Contains("X-Spam-Status: Yes, score=7.00 tag=6.00 reject=15.00\r\n\tsymbols=TEST_TAG(7.00)", text, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Shadow_mode_forwards_what_it_would_reject_and_says_so()
    {
        var (reply, downstream) = await SendAsync(new IMessageCheckFactory("TEST_REJECT"), options => options with { Mode = Gateway.Core.Configuration.GatewayMode.Shadow });
        await using var _ = downstream;

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.Contains("X-Gateway-Would: reject (score 20.00 (TEST_REJECT))", Encoding.ASCII.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_failing_check_with_the_tempfail_fallback_gives_451_4_7_1()
    {
        var (reply, downstream) = await SendAsync(new IMessageCheckFactory("TEST_TAG", Throws: true), onCheckError: "tempfail");
        await using var _ = downstream;

        Assert.StartsWith("451 4.7.1", reply, StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
    }

    [Fact(Timeout = 30_000)]
    public async Task A_failing_check_with_the_accept_fallback_still_delivers_with_check_error()
    {
        var (reply, downstream) = await SendAsync(new IMessageCheckFactory("TEST_TAG", Throws: true));
        await using var _ = downstream;

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        Assert.Contains("CHECK_ERROR(0.00)", Encoding.ASCII.GetString(Assert.Single(downstream.Messages).Raw), StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task Exchange_scl_is_stamped_from_the_verdict_and_a_forged_one_removed()
    {
        var downstream = await FakeDownstream.StartAsync();
        await using var _ = downstream;
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Downstream = options.Downstream with { ExchangeScl = true } }, SymbolCheck.RulesFolder(), [new SymbolCheck("TEST_TAG")]);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", "user@example.test");

        var reply = await client.DataAsync(TestMessages.Crlf("X-MS-Exchange-Organization-SCL: -1\nFrom: sender@remote.test\nSubject: scl\n\nbody\n.\n"));

        Assert.StartsWith("250", reply, StringComparison.Ordinal);
        var text = Encoding.ASCII.GetString(Assert.Single(downstream.Messages).Raw);
        Assert.Contains("X-MS-Exchange-Organization-SCL: 6\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SCL: -1", text, StringComparison.Ordinal);
    }

    internal sealed record IMessageCheckFactory(string Symbol, bool Throws = false)
    {
        public SymbolCheck Create() => new(Symbol, Throws);
    }
}
