using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;
using MimeKit;

namespace Gateway.Core.Content;

/// <summary>
/// The hosts of the links in a message, as a spammer would rather we not see them: from decoded text
/// parts (quoted-printable and base64 undone by MimeKit), from HTML attributes (href, src, action) with
/// entities decoded and from HTML's visible text; with the usual disguises undone: <c>hxxp://</c> and
/// <c>h**p://</c>, <c>[.]</c> and <c>(.)</c> for dots, <c>user@</c> prefixes (<c>http://bank.test@evil.test</c>
/// goes to evil.test), percent-encoded hosts and Unicode (IDN) names, which become punycode as DNS has them.
/// Lower case, first occurrence first, without duplicates, at most <see cref="MaxHosts"/>.
/// </summary>
public static partial class MessageUrls
{
    public const int MaxHosts = 200;

    private static readonly IdnMapping Idn = new();

    public static IReadOnlyList<string> Hosts(MimeMessage message)
    {
        var hosts = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in message.BodyParts.OfType<TextPart>())
        {
            foreach (var host in FromText(PartContent.Of(part).LinkText))
            {
                if (hosts.Count >= MaxHosts)
                {
                    return hosts;
                }

                if (seen.Add(host))
                {
                    hosts.Add(host);
                }
            }
        }

        return hosts;
    }

    /// <summary>
    /// Hosts of the URLs in plain text, disguised or not. The regex is started only just before an
    /// anchor every URL it matches has within its first <see cref="AnchorReach"/> characters: the "//"
    /// after a scheme (at most "hxxps [:]" comes before it) or the "www" a bare host starts with. That
    /// finds the matches the regex's own scan finds (no match can start where no anchor follows within
    /// reach), without trying every h, f and w of the text as a start: a vectorised search for the
    /// anchors instead.
    /// </summary>
    public static IEnumerable<string> FromText(string text)
    {
        var position = 0;
        while (position < text.Length)
        {
            var anchor = text.AsSpan(position).IndexOfAny(Anchors);
            if (anchor < 0)
            {
                yield break;
            }

            // Match(text, start) reads the characters before start for \b, as a scan of the whole text does.
            var match = UrlInText().Match(text, Math.Max(position, position + anchor - AnchorReach));
            if (!match.Success)
            {
                yield break;
            }

            if (Normalize(match.Groups["host"].Value) is { } host)
            {
                yield return host;
            }

            position = match.Index + match.Length;
        }
    }

    private const int AnchorReach = 10;

    private static readonly SearchValues<string> Anchors = SearchValues.Create(["//", "www"], StringComparison.OrdinalIgnoreCase);

    /// <summary>A matched host with its disguises undone, as an ASCII DNS name; null if it is none (or an address literal).</summary>
    public static string? Normalize(string raw)
    {
        var host = DotDisguise().Replace(raw, ".");
        if (host.Contains('%'))
        {
            host = Uri.UnescapeDataString(host);
        }

        host = host.Trim('.', '-');
        try
        {
            // UTS 46 mapping: Unicode labels to punycode, fullwidth and ideographic dots to '.', lower case.
            host = Idn.GetAscii(host).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }

        return host.Contains('.') && Uri.CheckHostName(host) == UriHostNameType.Dns && !IsAllDigits(host) ? host : null;
    }

    private static bool IsAllDigits(string host) => host.All(c => char.IsAsciiDigit(c) || c == '.');

    // A scheme (http, https, ftp, and the hxxp/h**p/hxtp spellings), "://" or "[:]//", an optional
    // user@ part, then the host: letters of any script, digits, '-', '%xx', and dots in any disguise.
    // Or a bare "www." host. Linear: no nested quantifiers over the same characters.
    [GeneratedRegex(
        @"(?:\b(?:h(?:tt|xx|\*\*|xt|tx)ps?|ftp)\s?(?::|\[:\])//(?:[^\s/?#@""'<>\\]{0,256}@)?|\b(?=www(?:\.|\[\.\])))(?<host>(?:[\p{L}\p{N}\-%]|\.|\[\.\]|\(\.\)|\[dot\]|\u3002|\uFF0E|\uFF61){1,253})",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlInText();

    [GeneratedRegex(@"\[\.\]|\(\.\)|\[dot\]", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DotDisguise();
}
