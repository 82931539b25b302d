using System.Buffers;
using Gateway.Core.Headers;

namespace Gateway.Core.Tests.Headers;

public sealed class RawHeaderEditorTests
{
    private static readonly RawHeaderEditor.FieldFilter Spoofed = ResultHeaders.SpoofedBy("mx.example.test");

    [Fact]
    public void Prepends_fields_and_keeps_every_other_byte()
    {
        var original = "From: a@example.test\r\nSubject: hi\r\n\r\nbody \u00e9\r\nX-Spam-Flag: NO\r\n"u8.ToArray();

        var result = RawHeaderEditor.Rewrite(original, ["X-Spam-Flag: YES"], Spoofed);

        Assert.Equal("X-Spam-Flag: YES\r\n"u8.ToArray().Concat(original), result.ToArray());
    }

    [Fact]
    public void Removes_spoofed_copies_of_our_fields_with_their_continuation_lines()
    {
        var original = "x-spam-status: No, score=-100\r\n\tsymbols=FAKE\r\nFrom: a@example.test\r\nX-Spam-Flag: NO\r\nSubject: hi\r\n\r\nX-Spam-Flag: body text stays\r\n";

        var result = Encoding.UTF8.GetString(RawHeaderEditor.Rewrite(Encoding.UTF8.GetBytes(original), ["X-Spam-Flag: YES"], Spoofed));

        Assert.Equal("X-Spam-Flag: YES\r\nFrom: a@example.test\r\nSubject: hi\r\n\r\nX-Spam-Flag: body text stays\r\n", result);
    }

    [Fact]
    public void Removes_authentication_results_that_claim_our_authserv_id_and_keeps_others()
    {
        var original = "Authentication-Results: MX.example.test;\r\n\tdmarc=pass header.from=bank.test\r\nAuthentication-Results: mx.upstream.test; spf=pass smtp.mailfrom=a@b.test\r\nAuthentication-Results: mx.example.test.evil; dkim=pass\r\nSubject: hi\r\n\r\nbody\r\n";

        var result = Encoding.UTF8.GetString(RawHeaderEditor.Rewrite(Encoding.UTF8.GetBytes(original), [], Spoofed));

        Assert.Equal("Authentication-Results: mx.upstream.test; spf=pass smtp.mailfrom=a@b.test\r\nAuthentication-Results: mx.example.test.evil; dkim=pass\r\nSubject: hi\r\n\r\nbody\r\n", result);
    }

    [Fact]
    public void Works_with_bare_lf_messages_and_messages_without_a_body()
    {
        var result = Encoding.UTF8.GetString(RawHeaderEditor.Rewrite("Subject: hi\nX-Spam-Flag: NO\n"u8.ToArray(), ["A: b"], Spoofed));

        Assert.Equal("A: b\r\nSubject: hi\n", result);
    }
}
