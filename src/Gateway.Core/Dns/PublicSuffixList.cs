using System.Globalization;

namespace Gateway.Core.Dns;

/// <summary>
/// Mozilla's Public Suffix List (publicsuffix.org), ICANN and private sections, for reducing a host to
/// the domain someone registered: <c>a.b.example.co.uk</c> → <c>example.co.uk</c>, <c>x.github.io</c> →
/// <c>x.github.io</c>. URI block lists list registered domains; asking them about every host name would
/// miss listings and multiply queries. The list ships inside the executable (Dns/public_suffix_list.dat,
/// from Debian's publicsuffix package); to update it, replace that file and rebuild. Rules are held in
/// their ASCII (punycode) form, as host names are compared.
/// </summary>
public sealed class PublicSuffixList
{
    private static readonly Lazy<PublicSuffixList> ShippedList = new(LoadShipped);
    private static readonly IdnMapping Idn = new();

    private readonly HashSet<string> _rules = new(StringComparer.Ordinal);
    private readonly HashSet<string> _wildcards = new(StringComparer.Ordinal); // "*.ck" held as "ck"
    private readonly HashSet<string> _exceptions = new(StringComparer.Ordinal); // "!www.ck" held as "www.ck"

    public PublicSuffixList(TextReader list)
    {
        while (list.ReadLine() is { } line)
        {
            var rule = line.Trim();
            if (rule.Length == 0 || rule.StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            rule = rule.Split(' ', '\t')[0];
            if (rule.StartsWith('!'))
            {
                _exceptions.Add(Ascii(rule[1..]));
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                _wildcards.Add(Ascii(rule[2..]));
            }
            else
            {
                _rules.Add(Ascii(rule));
            }
        }
    }

    /// <summary>The list built into the executable.</summary>
    public static PublicSuffixList Shipped => ShippedList.Value;

    public int Count => _rules.Count + _wildcards.Count + _exceptions.Count;

    /// <summary>
    /// The registered domain of a lower-case ASCII host name, or null when the host is itself a public
    /// suffix (<c>co.uk</c>) and so names nobody. An unknown top-level domain counts as a suffix (the "*" rule).
    /// </summary>
    /// <summary>
    /// The organisation a domain as found in mail belongs to (any case, a trailing dot, white space): its
    /// registered domain, or the name itself where it has none (a public suffix, an empty label).
    /// </summary>
    public string Organisation(string domain)
    {
        var host = domain.Trim().TrimEnd('.').ToLowerInvariant();
        return RegisteredDomain(host) ?? host;
    }

    public string? RegisteredDomain(string host)
    {
        host = host.TrimEnd('.');
        if (host.Length == 0 || host[0] == '.' || host.Contains("..", StringComparison.Ordinal))
        {
            // An empty label names nobody (a fuzzer's link host ".example.com" once made the look-up throw).
            return null;
        }

        var labels = host.Split('.').Length;
        var suffixLabels = 1;
        var start = 0;
        for (var i = 0; i < labels; i++)
        {
            var candidate = host[start..];
            var parentDot = candidate.IndexOf('.');
            if (_exceptions.Contains(candidate))
            {
                suffixLabels = labels - i - 1;
                break;
            }

            if (_rules.Contains(candidate) || (parentDot >= 0 && _wildcards.Contains(candidate[(parentDot + 1)..])))
            {
                suffixLabels = labels - i;
                break;
            }

            start += parentDot + 1;
        }

        if (suffixLabels >= labels)
        {
            return null;
        }

        var keep = suffixLabels + 1;
        var cut = host.Length;
        for (var i = 0; i < keep; i++)
        {
            cut = host.LastIndexOf('.', cut - 1);
            if (cut < 0)
            {
                return host;
            }
        }

        return host[(cut + 1)..];
    }

    private static string Ascii(string rule)
    {
        try
        {
            return Idn.GetAscii(rule).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return rule.ToLowerInvariant();
        }
    }

    private static PublicSuffixList LoadShipped()
    {
        using var stream = typeof(PublicSuffixList).Assembly.GetManifestResourceStream("public_suffix_list.dat")
            ?? throw new InvalidOperationException("public_suffix_list.dat is missing from Gateway.Core");
        using var reader = new StreamReader(stream);
        return new PublicSuffixList(reader);
    }
}
