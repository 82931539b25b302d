using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Pipeline;
using Gateway.Core.Tests.Dns;
using MimeKit;
using Gateway.Core.Authentication;

namespace Gateway.Core.Tests.Authentication;

public sealed class DkimCheckTests
{
    private static async Task<MessageContext> RunAsync(string raw, FakeDnsResolver? dns = null)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.ASCII.GetBytes(raw)));
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = Encoding.ASCII.GetBytes(raw), Message = message };
        await new DkimCheck(new DkimVerification(dns ?? new FakeDnsResolver(), TimeProvider.System)).RunAsync(context, CancellationToken.None);
        return context;
    }

    [Theory]
    [InlineData("v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")]
    [InlineData("v=DKIM1; k=rsa; p=MAMCAQA=")]
    [InlineData("v=DKIM1; k=rsa; p=AAAA////")]
    [InlineData("v=DKIM1; k=ed25519; p=AAAA")]
    [InlineData("v=DKIM1; k=rsa; p=%%%not-base64")]
    [InlineData("v=DKIM1; k=dsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")]
    public async Task A_malformed_key_is_a_permerror_of_its_own_signature_and_the_others_are_still_verified(string keyRecord)
    {
        var dns = new FakeDnsResolver().Txt("bad._domainkey.signer.test", keyRecord);
        var context = await RunAsync(
            "DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=bad; c=relaxed/relaxed; h=from; bh=Ck5SoRNWUpSR4X0COv7R5ub2pUTtl6xz4dTFz++ji4M=; b=AAAA\r\n" +
            "DKIM-Signature: v=1; a=rsa-sha256; d=other.test; s=none; c=relaxed/relaxed; h=from; bh=Ck5SoRNWUpSR4X0COv7R5ub2pUTtl6xz4dTFz++ji4M=; b=AAAA\r\n" +
            "From: a@signer.test\r\n\r\nbody\r\n",
            dns);

        // The body hash matches, so verification gets as far as the key (a wrong one fails before it).
        var results = context.Authentication.Dkim!;
        Assert.Equal(2, results.Count);
        Assert.Equal(Gateway.Core.Authentication.AuthResult.PermError, results.Single(result => result.Domain == "signer.test").Result);
        Assert.Equal(Gateway.Core.Authentication.AuthResult.PermError, results.Single(result => result.Domain == "other.test").Result);
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
    public async Task A_signature_listing_thousands_of_header_fields_is_refused_unverified()
    {
        // Within the header limits, 20,000 names in h= against 900 fields cost 0.6 s of CPU per signature to verify.
        var fields = string.Concat(Enumerable.Range(0, 900).Select(i => $"X-F{i}: v\r\n"));
        var names = string.Join(":", Enumerable.Repeat("x-nothere", 20_000));
        var dns = new FakeDnsResolver();
        var context = await RunAsync($"DKIM-Signature: v=1; a=rsa-sha256; d=signer.test; s=s1; c=relaxed/relaxed; h=from:{names}; bh=Ck5SoRNWUpSR4X0COv7R5ub2pUTtl6xz4dTFz++ji4M=; b=AAAA\r\nFrom: a@signer.test\r\n{fields}\r\nbody\r\n", dns);

        var result = Assert.Single(context.Authentication.Dkim!);
        Assert.Equal(Gateway.Core.Authentication.AuthResult.PermError, result.Result);
        Assert.Contains("20001 header fields", result.Reason, StringComparison.Ordinal);
        Assert.Empty(dns.Queries); // refused before the key is even looked up
    }

    [Fact]
    public async Task An_arc_message_signature_listing_too_many_header_fields_fails_the_chain_unverified()
    {
        var names = string.Join(":", Enumerable.Repeat("x-nothere", DkimTags.MaxSignedFields + 1));
        var raw = "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=relay.test; s=s1; b=AAAA\r\n"
            + $"ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=relay.test; s=s1; h=from:{names}; bh=AAAA; b=AAAA\r\n"
            + "ARC-Authentication-Results: i=1; relay.test; dmarc=pass\r\nFrom: a@signer.test\r\n\r\nbody\r\n";
        var dns = new FakeDnsResolver();
        var message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.ASCII.GetBytes(raw)));

        var outcome = await new Gateway.Core.Authentication.Arc.ArcVerification(dns).VerifyAsync(message, CancellationToken.None);

        Assert.Equal(Gateway.Core.Authentication.AuthResult.Fail, outcome.Result);
        Assert.Contains($"{DkimTags.MaxSignedFields + 2} header fields", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(dns.Queries);
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
