using System.Net;
using System.Text.RegularExpressions;
using Gateway.Core.Dns;

namespace Gateway.Core.Content;

/// <summary>
/// Links whose visible text shows one site and whose target is another: <c>&lt;a href="https://evil.test/"&gt;www.bank.example&lt;/a&gt;</c>.
/// Both sides are compared as registered domains (Public Suffix List), so the everyday newsletter link —
/// text www.shop.example, target click.shop.example or shop.example — is not one.
/// </summary>
public static partial class DeceptiveLinks
{
    /// <summary>The first deceptive link as "text -> target" (registered domains), or null.</summary>
    public static string? First(string html)
    {
        try
        {
            return FirstOf(html);
        }
        catch (RegexMatchTimeoutException)
        {
            return null; // hostile markup: the rule does not fire, the rest of the scan goes on
        }
    }

    private static string? FirstOf(string html)
    {
        foreach (Match anchor in Anchor().Matches(html))
        {
            var shown = WebUtility.HtmlDecode(Tags().Replace(anchor.Groups["text"].Value, string.Empty)).Trim();
            var shownHost = HostLike().Match(shown);
            if (!shownHost.Success || !Uri.TryCreate(WebUtility.HtmlDecode(anchor.Groups["href"].Value), UriKind.Absolute, out var target))
            {
                continue;
            }

            var shownDomain = RegisteredDomain(shownHost.Groups["host"].Value);
            var targetDomain = RegisteredDomain(target.IdnHost);
            if (shownDomain is not null && targetDomain is not null && shownDomain != targetDomain)
            {
                return $"{shownDomain} -> {targetDomain}";
            }
        }

        return null;
    }

    private static string? RegisteredDomain(string host) =>
        MessageUrls.Normalize(host) is { } normalized ? PublicSuffixList.Shipped.RegisteredDomain(normalized) : null;

    [GeneratedRegex(@"<a\s[^>]{0,2000}?href\s*=\s*[""']?(?<href>https?://[^""'\s>]{1,2000})[^>]{0,2000}>(?<text>[^<]{0,300}(?:<(?!/a)[^>]{0,500}>[^<]{0,300}){0,5})</a", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex Anchor();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tags();

    /// <summary>Visible text that is itself an address: an optional scheme, then a dotted host with a letter TLD, alone.</summary>
    [GeneratedRegex(@"^(?:https?://)?(?<host>(?:[\p{L}\p{N}-]+\.)+\p{L}{2,})(?:[/:?#]\S*)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HostLike();
}
