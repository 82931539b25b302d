using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Pipeline;
using Gateway.Core.Tests.Dns;
using MimeKit;

namespace Gateway.Core.Tests.Authentication;

public sealed class DkimCheckTests
{
    private static async Task<MessageContext> RunAsync(string raw)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.ASCII.GetBytes(raw)));
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = Encoding.ASCII.GetBytes(raw), Message = message };
        await new DkimCheck(new DkimVerification(new FakeDnsResolver(), TimeProvider.System)).RunAsync(context, CancellationToken.None);
        return context;
    }

    [Fact]
    public async Task A_body_length_limit_is_flagged_and_each_signature_reported()
    {
        var context = await RunAsync("DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=s1; c=relaxed/relaxed; l=10; h=from; bh=AAAA; b=AAAA\r\nFrom: a@signer.test\r\n\r\nbody\r\n");

        Assert.Contains(context.Symbols, symbol => symbol.Name == "DKIM_BODY_LENGTH_LIMIT");
        var result = Assert.Single(context.Authentication.Dkim!);
        Assert.Equal(("signer.test", "s1", true), (result.Domain, result.Selector, result.BodyLengthLimited));
        Assert.Contains(context.Symbols, symbol => symbol.Name == "DKIM_INVALID" && symbol.Detail!.StartsWith("d=signer.test s=s1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_signature_fails_before_any_dns_query()
    {
        var context = await RunAsync("DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=s1; x=1000; h=from; bh=AAAA; b=AAAA\r\nFrom: a@signer.test\r\n\r\nbody\r\n");

        Assert.Contains("expired", Assert.Single(context.Authentication.Dkim!).Reason, StringComparison.Ordinal);
        Assert.Contains(context.Symbols, symbol => symbol.Name == "DKIM_INVALID");
    }

    [Fact]
    public async Task Unsigned_mail_is_dkim_none()
    {
        var context = await RunAsync("From: a@signer.test\r\n\r\nbody\r\n");

        Assert.Equal("DKIM_NONE", Assert.Single(context.Symbols).Name);
        Assert.Equal("none", context.Authentication.DkimSummary);
    }
}
