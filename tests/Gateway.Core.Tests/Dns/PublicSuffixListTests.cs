using Gateway.Core.Dns;

namespace Gateway.Core.Tests.Dns;

public sealed class PublicSuffixListTests
{
    [Theory]
    [InlineData("www.example.com", "example.com")]
    [InlineData("example.com", "example.com")]
    [InlineData("a.b.example.co.uk", "example.co.uk")]
    [InlineData("shop.example.com.au", "example.com.au")]
    [InlineData("someone.github.io", "someone.github.io")] // private section: each github.io name is someone's
    [InlineData("deep.someone.github.io", "someone.github.io")]
    [InlineData("a.b.c.kawasaki.jp", "b.c.kawasaki.jp")] // wildcard rule *.kawasaki.jp
    [InlineData("x.city.kawasaki.jp", "city.kawasaki.jp")] // exception rule !city.kawasaki.jp
    [InlineData("mail.sender.test", "sender.test")] // unknown TLD: the implicit "*" rule
    [InlineData("shop.xn--55qx5d.cn", "shop.xn--55qx5d.cn")] // 公司.cn, a Unicode rule held as punycode
    [InlineData("Example.COM.", "example.com")]
    public void Hosts_reduce_to_the_registered_domain(string host, string expected) =>
        Assert.Equal(expected, PublicSuffixList.Shipped.RegisteredDomain(host.ToLowerInvariant()));

    [Theory]
    [InlineData("co.uk")]
    [InlineData("com")]
    [InlineData("github.io")]
    [InlineData("b.kawasaki.jp")]
    public void A_public_suffix_itself_names_nobody(string host) => Assert.Null(PublicSuffixList.Shipped.RegisteredDomain(host));

    /// <summary>A host with an empty label (a link to "http://.example.com", found by the MIME fuzzer) names nobody; it threw.</summary>
    [Theory]
    [InlineData(".com")]
    [InlineData(".example.com")]
    [InlineData("a..example.com")]
    [InlineData(".")]
    [InlineData("")]
    public void A_host_with_an_empty_label_names_nobody(string host) => Assert.Null(PublicSuffixList.Shipped.RegisteredDomain(host));

    [Fact]
    public void The_shipped_list_is_the_whole_list() => Assert.True(PublicSuffixList.Shipped.Count > 9000);
}
