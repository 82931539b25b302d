using System.Text.RegularExpressions;

namespace Gateway.Core.Authentication.Spf;

/// <summary>One directive: qualifier, mechanism name, its domain-spec (unexpanded) or network, CIDR lengths.</summary>
internal sealed record SpfMechanism(char Qualifier, string Name, string? DomainSpec, IPAddress? Network, int Cidr4, int Cidr6)
{
    public bool CountsAsDnsLookup => Name is "include" or "a" or "mx" or "ptr" or "exists";
}

/// <summary>
/// A parsed SPF record (RFC 7208 section 4.6). The whole record is checked before anything is evaluated:
/// any syntax error anywhere makes it a permerror (section 4.6).
/// </summary>
internal sealed partial record SpfRecord(IReadOnlyList<SpfMechanism> Mechanisms, string? Redirect, string? Explanation)
{
    public static bool IsSpfRecord(string txt) =>
        txt.Equals("v=spf1", StringComparison.OrdinalIgnoreCase) || txt.StartsWith("v=spf1 ", StringComparison.OrdinalIgnoreCase);

    public static SpfRecord Parse(string txt)
    {
        // Terms are separated by spaces only; control characters and non-ASCII make the record invalid (4.6.1).
        if (txt.Any(c => c is < ' ' or > '~'))
        {
            throw new SpfSyntaxException("the record holds a character that is not printable ASCII");
        }

        var mechanisms = new List<SpfMechanism>();
        string? redirect = null;
        string? explanation = null;
        foreach (var term in txt[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var modifier = ModifierPattern().Match(term);
            if (modifier.Success)
            {
                var name = modifier.Groups[1].Value.ToLowerInvariant();
                var value = modifier.Groups[2].Value;
                SpfMacro.Validate(value, isExplanation: false);
                switch (name)
                {
                    case "redirect":
                        redirect = redirect is null ? ValidDomainSpec(value) : throw new SpfSyntaxException("redirect= appears twice");
                        break;
                    case "exp":
                        explanation = explanation is null ? ValidDomainSpec(value) : throw new SpfSyntaxException("exp= appears twice");
                        break;
                }

                // Unknown modifiers are ignored (section 6), once their syntax is known to be right.
                continue;
            }

            mechanisms.Add(ParseMechanism(term));
        }

        return new SpfRecord(mechanisms, redirect, explanation);
    }

    private static SpfMechanism ParseMechanism(string term)
    {
        var qualifier = term[0] is '+' or '-' or '~' or '?' ? term[0] : '+';
        var body = term[0] is '+' or '-' or '~' or '?' ? term[1..] : term;
        var match = MechanismPattern().Match(body);
        if (!match.Success)
        {
            throw new SpfSyntaxException($"'{term}' is not a mechanism");
        }

        var name = match.Groups[1].Value.ToLowerInvariant();
        var argument = match.Groups[2].Success ? match.Groups[2].Value : null;
        return name switch
        {
            "all" when argument is null => new SpfMechanism(qualifier, name, null, null, 32, 128),
            "include" or "exists" when argument is [':', ..] => new SpfMechanism(qualifier, name, ValidDomainSpec(argument[1..]), null, 32, 128),
            "a" or "mx" => ParseDomainAndCidr(qualifier, name, argument ?? string.Empty),
            "ptr" when argument is null => new SpfMechanism(qualifier, name, null, null, 32, 128),
            "ptr" when argument is [':', ..] => new SpfMechanism(qualifier, name, ValidDomainSpec(argument[1..]), null, 32, 128),
            "ip4" when argument is [':', ..] => ParseNetwork(qualifier, name, argument[1..], ipv6: false),
            "ip6" when argument is [':', ..] => ParseNetwork(qualifier, name, argument[1..], ipv6: true),
            _ => throw new SpfSyntaxException($"'{term}' is not a valid mechanism"),
        };
    }

    private static SpfMechanism ParseDomainAndCidr(char qualifier, string name, string argument)
    {
        var cidr = CidrSuffixPattern().Match(argument);
        var cidr4 = cidr.Groups[1].Success ? CidrLength(cidr.Groups[1].Value, 32) : 32;
        var cidr6 = cidr.Groups[2].Success ? CidrLength(cidr.Groups[2].Value, 128) : 128;
        var domain = argument[..cidr.Index];
        if (domain.Length == 0)
        {
            return new SpfMechanism(qualifier, name, null, null, cidr4, cidr6);
        }

        return domain[0] == ':' ? new SpfMechanism(qualifier, name, ValidDomainSpec(domain[1..]), null, cidr4, cidr6)
            : throw new SpfSyntaxException($"'{name}{argument}' is not a valid mechanism");
    }

    private static SpfMechanism ParseNetwork(char qualifier, string name, string argument, bool ipv6)
    {
        var slash = argument.IndexOf('/');
        var address = slash < 0 ? argument : argument[..slash];
        var length = slash < 0 ? (ipv6 ? 128 : 32) : CidrLength(argument[(slash + 1)..], ipv6 ? 128 : 32);
        var family = ipv6 ? System.Net.Sockets.AddressFamily.InterNetworkV6 : System.Net.Sockets.AddressFamily.InterNetwork;
        if (!IPAddress.TryParse(address, out var network) || network.AddressFamily != family || (!ipv6 && address.Count(c => c == '.') != 3))
        {
            throw new SpfSyntaxException($"'{argument}' is not an {name} network");
        }

        return new SpfMechanism(qualifier, name, null, network, ipv6 ? 32 : length, ipv6 ? length : 128);
    }

    /// <summary>ip4-cidr-length / ip6-cidr-length: no leading zeros, within the family's width.</summary>
    private static int CidrLength(string text, int max)
    {
        if (text.Length == 0 || text.Length > 3 || (text.Length > 1 && text[0] == '0') || !text.All(char.IsAsciiDigit) || int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) > max)
        {
            throw new SpfSyntaxException($"'/{text}' is not a valid CIDR length");
        }

        return int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>domain-spec = macro-string domain-end; domain-end = "." toplabel ["."] / macro-expand.</summary>
    private static string ValidDomainSpec(string spec)
    {
        SpfMacro.Validate(spec, isExplanation: false);
        if (spec.EndsWith('}'))
        {
            return spec;
        }

        var trimmed = spec.EndsWith('.') ? spec[..^1] : spec;
        var dot = trimmed.LastIndexOf('.');
        var topLabel = dot < 0 ? string.Empty : trimmed[(dot + 1)..];
        if (dot < 0 || !TopLabelPattern().IsMatch(topLabel))
        {
            throw new SpfSyntaxException($"'{spec}' does not end in a valid top label");
        }

        return spec;
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9\-_.]*)=(.*)$")]
    private static partial Regex ModifierPattern();

    [GeneratedRegex(@"^(all|include|a|mx|ptr|ip4|ip6|exists)([:/].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex MechanismPattern();

    [GeneratedRegex(@"(?:/([0-9]+))?(?://([0-9]+))?$")]
    private static partial Regex CidrSuffixPattern();

    [GeneratedRegex(@"^(?:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9])$")]
    private static partial Regex TopLabelPattern();
}
