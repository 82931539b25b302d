using Gateway.Core.Content;
using MimeKit;

namespace Gateway.Core.Tests.Content;

public sealed class MessageUrlsTests
{
    private static IReadOnlyList<string> HostsOf(string raw) =>
        MessageUrls.Hosts(MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n")))));

    [Theory]
    [InlineData("see http://plain.test/path", "plain.test")]
    [InlineData("see HTTPS://Upper.Test:8443/x", "upper.test")]
    [InlineData("see hxxp://defanged.test/x", "defanged.test")]
    [InlineData("see hxxps://evil[.]test/x", "evil.test")]
    [InlineData("see h**p://stars(.)test", "stars.test")]
    [InlineData("see http://bank.test@phish.test/login", "phish.test")]
    [InlineData("see http://user:pw@creds.test/", "creds.test")]
    [InlineData("see http://%65ncoded.test/", "encoded.test")]
    [InlineData("see http://bücher.test/", "xn--bcher-kva.test")]
    [InlineData("see http://xn--bcher-kva.test/", "xn--bcher-kva.test")]
    [InlineData("see http://full\uFF0Ewidth\u3002test/", "full.width.test")]
    [InlineData("see www.bare.test now", "www.bare.test")]
    [InlineData("mail me at someone@nolink.test", null)]
    [InlineData("see http://192.0.2.1/", null)]
    public void Urls_in_text_give_their_hosts_with_disguises_undone(string text, string? expected)
    {
        var hosts = MessageUrls.FromText(text).ToList();

        if (expected is null)
        {
            Assert.Empty(hosts);
        }
        else
        {
            Assert.Equal(expected, Assert.Single(hosts));
        }
    }

    /// <summary>The regex starts only near a "//" or "www": the longest prefix before "//" must still be in reach.</summary>
    [Fact]
    public void Urls_are_found_however_far_their_anchor_sits_from_their_start()
    {
        var hosts = MessageUrls.FromText("a h**ps [:]//longest.test b WWW.UPPER.test c www[.]dot.test d ftp://f.test e //www.slashes.test f http://a.test/www.path.test").ToList();

        Assert.Equal(["longest.test", "www.upper.test", "www.dot.test", "f.test", "www.slashes.test", "a.test", "www.path.test"], hosts);
    }

    [Fact]
    public void Html_links_count_with_entities_decoded_and_hidden_targets_included()
    {
        var hosts = HostsOf("""
            From: a@b.test
            Content-Type: text/html

            <p>Visit <a href="http&#58;//entity.test/a">our bank at http://shown.test</a>
            <img src="https://pixel.test/t.gif"><form action="hxxp://form.test/post"></form></p>
            """);

        Assert.Equal(["entity.test", "shown.test", "pixel.test", "form.test"], hosts);
    }

    [Fact]
    public void Quoted_printable_bodies_are_decoded_before_looking()
    {
        var hosts = HostsOf("""
            From: a@b.test
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            Click http://qp-soft=
            break.test/x and http://b=C3=BCcher.test/ and http://one.test and http://one.test again
            """);

        Assert.Equal(["qp-softbreak.test", "xn--bcher-kva.test", "one.test"], hosts);
    }
}
