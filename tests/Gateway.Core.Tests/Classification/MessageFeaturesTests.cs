using Gateway.Core.Classification;
using MimeKit;

namespace Gateway.Core.Tests.Classification;

public sealed class MessageFeaturesTests
{
    private static MessageFeatures Extract(string raw) =>
        MessageFeatures.Extract(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n")))), raw.Length);

    [Fact]
    public void Base64_and_quoted_printable_parts_are_decoded()
    {
        var features = Extract("""
            Subject: offer
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b"

            --b
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: base64

            VmlhZ3JhIGZvciBjaGVhcA==
            --b
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            Caf=E9 cr=E8me soft=
            break
            --b--
            """);

        Assert.Contains("Viagra for cheap", features.Text, StringComparison.Ordinal);
        Assert.Contains("Café crème softbreak", features.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_multipart_html_only_mail_becomes_visible_text_with_urls_counted()
    {
        var features = Extract("""
            Subject: hello
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/related; boundary="inner"

            --inner
            Content-Type: text/html; charset=utf-8

            <html><head><style>.x{color:red}</style><script>var hidden = 1;</script></head>
            <body><p>Click <a href="http://spam.example.test/buy">HERE</a> now!!!</p>
            <a href="https://other.example.test/x">more</a> &amp; more</body></html>
            --inner--
            --outer
            Content-Type: application/octet-stream; name="invoice.exe"
            Content-Disposition: attachment; filename="invoice.exe"
            Content-Transfer-Encoding: base64

            TVqQAAMAAAAEAAAA
            --outer--
            """);

        Assert.Contains("Click HERE now!!!", features.Text, StringComparison.Ordinal);
        Assert.Contains("& more", features.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("color:red", features.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden", features.Text, StringComparison.Ordinal);
        // Attachments, MIME structure and mailers are no feature (they date a message, not judge it);
        // where the links lead is: their registered domains.
        Assert.DoesNotContain("xattach", features.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("xct", features.Text, StringComparison.Ordinal);
        Assert.Contains("xlinkexampletest", features.Text, StringComparison.Ordinal);
        Assert.Equal((float)Math.Log(3), features.DistinctDomains, 3);
        Assert.True(features.PunctuationRatio > 0);
    }

    [Fact]
    public void Broken_charsets_and_empty_messages_do_not_throw()
    {
        var features = Extract("Subject: x\nContent-Type: text/plain; charset=x-no-such-charset\n\nbody \u00ff\n");
        var empty = Extract("\n");

        Assert.Contains("body", features.Text, StringComparison.Ordinal);
        Assert.Equal(0, empty.UrlCount);
    }

    [Fact]
    public void List_tags_leave_the_subject_and_invisible_characters_are_counted()
    {
        var features = Extract("Subject: Re: [OpenWrt-Devel] [PATCH] wifi fix\nContent-Type: text/plain; charset=utf-8\n\nfr\u200Bee mo\u200Cney\n");

        Assert.StartsWith("wifi fix\n", features.Text, StringComparison.Ordinal);
        Assert.Equal((float)Math.Log(3), features.InvisibleCharacters, 3);
    }
}
