using System.Net.Sockets;
using Gateway.Core.Dns;

namespace Gateway.Core.Authentication.Spf;

/// <summary>
/// RFC 7208 check_host(): every mechanism and modifier, macros, the 10-lookup and 2-void-lookup limits,
/// and the MX/PTR name limits. DNS trouble gives temperror, never a pass and never a fail.
/// </summary>
public sealed class SpfEvaluator(IDnsResolver dns, string receivingHost)
{
    public const string DefaultExplanation = "SPF fail - not authorized";

    private const int MaxDnsMechanisms = 10;
    private const int MaxVoidLookups = 2;
    private const int MaxNamesPerLookup = 10;

    /// <summary>Evaluates the MAIL FROM identity, or the HELO identity when MAIL FROM is the null sender.</summary>
    public Task<SpfOutcome> CheckAsync(IPAddress client, string helo, string? mailFrom, CancellationToken cancellationToken)
    {
        var sender = string.IsNullOrEmpty(mailFrom) ? $"postmaster@{helo}" : mailFrom;
        var at = sender.LastIndexOf('@');
        var localPart = at <= 0 ? "postmaster" : sender[..at];
        var domain = at < 0 ? sender : sender[(at + 1)..];
        if (at == 0)
        {
            sender = "postmaster" + sender;
        }

        var address = client.IsIPv4MappedToIPv6 ? client.MapToIPv4() : client;
        var state = new State(address, helo, sender, localPart, domain.TrimEnd('.'), cancellationToken);
        return CheckHostAsync(state, domain.TrimEnd('.'), isTopLevel: true);
    }

    private async Task<SpfOutcome> CheckHostAsync(State state, string domain, bool isTopLevel)
    {
        if (!IsValidDomain(domain))
        {
            return new SpfOutcome(SpfResult.None, domain, Reason: "not a valid domain name");
        }

        var lookup = await dns.QueryTxtAsync(domain, state.CancellationToken);
        if (lookup.Status == DnsStatus.TempError)
        {
            return new SpfOutcome(SpfResult.TempError, domain, Reason: $"DNS error looking up {domain}");
        }

        var records = lookup.Records.Where(SpfRecord.IsSpfRecord).ToList();
        if (records.Count == 0)
        {
            return new SpfOutcome(SpfResult.None, domain, Reason: $"no SPF record at {domain}");
        }

        if (records.Count > 1)
        {
            return new SpfOutcome(SpfResult.PermError, domain, Reason: $"{domain} publishes {records.Count} SPF records");
        }

        try
        {
            return await EvaluateAsync(state, domain, SpfRecord.Parse(records[0]), isTopLevel);
        }
        catch (SpfSyntaxException exception)
        {
            return new SpfOutcome(SpfResult.PermError, domain, Reason: exception.Message);
        }
        catch (SpfLimitException exception)
        {
            return new SpfOutcome(SpfResult.PermError, domain, Reason: exception.Message);
        }
    }

    private async Task<SpfOutcome> EvaluateAsync(State state, string domain, SpfRecord record, bool isTopLevel)
    {
        var macros = state.MacrosFor(domain, this);
        foreach (var mechanism in record.Mechanisms)
        {
            if (mechanism.CountsAsDnsLookup)
            {
                state.CountDnsMechanism();
            }

            var match = await MatchAsync(state, domain, mechanism, macros);
            if (match == Match.TempError)
            {
                return new SpfOutcome(SpfResult.TempError, domain, Reason: $"DNS error evaluating {mechanism.Name}");
            }

            if (match is Match.PermError)
            {
                return new SpfOutcome(SpfResult.PermError, domain, Reason: $"{mechanism.Name} could not be evaluated");
            }

            if (match == Match.Yes)
            {
                var result = mechanism.Qualifier switch
                {
                    '-' => SpfResult.Fail,
                    '~' => SpfResult.SoftFail,
                    '?' => SpfResult.Neutral,
                    _ => SpfResult.Pass,
                };
                var explanation = result == SpfResult.Fail && isTopLevel ? await ExplainAsync(state, record, macros) : null;
                return new SpfOutcome(result, domain, explanation, $"matched {mechanism.Qualifier}{mechanism.Name}");
            }
        }

        if (record.Redirect is not null)
        {
            state.CountDnsMechanism();
            var target = await ExpandDomainAsync(record.Redirect, macros);
            var redirected = await CheckHostAsync(state, target, isTopLevel);
            return redirected.Result == SpfResult.None
                ? new SpfOutcome(SpfResult.PermError, domain, Reason: $"redirect target {target} has no SPF record")
                : redirected;
        }

        return new SpfOutcome(SpfResult.Neutral, domain, Reason: "no mechanism matched");
    }

    private enum Match
    {
        No,
        Yes,
        TempError,
        PermError,
    }

    private async Task<Match> MatchAsync(State state, string domain, SpfMechanism mechanism, SpfMacroContext macros)
    {
        var target = mechanism.DomainSpec is null ? domain : await ExpandDomainAsync(mechanism.DomainSpec, macros);
        switch (mechanism.Name)
        {
            case "all":
                return Match.Yes;
            case "ip4":
            case "ip6":
                return InNetwork(state.Client, mechanism.Network!, mechanism) ? Match.Yes : Match.No;
            case "include":
                var included = await CheckHostAsync(state, target, isTopLevel: false);
                return included.Result switch
                {
                    SpfResult.Pass => Match.Yes,
                    SpfResult.Fail or SpfResult.SoftFail or SpfResult.Neutral => Match.No,
                    SpfResult.TempError => Match.TempError,
                    _ => Match.PermError,
                };
            case "a":
                return await MatchAddressesAsync(state, target, mechanism, countVoid: true);
            case "mx":
                return await MatchMxAsync(state, target, mechanism);
            case "ptr":
                var names = await ValidatedNamesAsync(state, countVoid: true);
                return names.Any(name => IsSameOrSubdomain(name, target)) ? Match.Yes : Match.No;
            case "exists":
                var exists = await dns.QueryAddressesAsync(target, ipv6: false, state.CancellationToken);
                if (exists.Status == DnsStatus.TempError)
                {
                    return Match.TempError;
                }

                state.CountIfVoid(exists.Status, exists.Records.Count);
                return exists.IsEmpty ? Match.No : Match.Yes;
            default:
                throw new SpfSyntaxException($"unknown mechanism {mechanism.Name}");
        }
    }

    private async Task<Match> MatchAddressesAsync(State state, string name, SpfMechanism mechanism, bool countVoid)
    {
        if (!IsValidDomain(name))
        {
            return Match.No;
        }

        var answer = await dns.QueryAddressesAsync(name, state.Client.AddressFamily == AddressFamily.InterNetworkV6, state.CancellationToken);
        if (answer.Status == DnsStatus.TempError)
        {
            return Match.TempError;
        }

        if (countVoid)
        {
            state.CountIfVoid(answer.Status, answer.Records.Count);
        }

        return answer.Records.Any(address => InNetwork(state.Client, address, mechanism)) ? Match.Yes : Match.No;
    }

    private async Task<Match> MatchMxAsync(State state, string name, SpfMechanism mechanism)
    {
        if (!IsValidDomain(name))
        {
            return Match.No;
        }

        var mx = await dns.QueryMxAsync(name, state.CancellationToken);
        if (mx.Status == DnsStatus.TempError)
        {
            return Match.TempError;
        }

        state.CountIfVoid(mx.Status, mx.Records.Count);
        if (mx.Records.Count > MaxNamesPerLookup)
        {
            // Section 4.6.4: more than 10 MX names is a permerror for this mechanism.
            throw new SpfLimitException($"{name} has more than {MaxNamesPerLookup} MX records");
        }

        foreach (var host in mx.Records.OrderBy(record => record.Preference).Select(record => record.Host))
        {
            var match = await MatchAddressesAsync(state, host, mechanism, countVoid: false);
            if (match != Match.No)
            {
                return match;
            }
        }

        return Match.No;
    }

    /// <summary>Section 5.5: PTR names whose forward lookup leads back to the client address (at most 10 names).</summary>
    internal async Task<IReadOnlyList<string>> ValidatedNamesAsync(State state, bool countVoid)
    {
        var ptr = await dns.QueryPtrAsync(state.Client, state.CancellationToken);
        if (countVoid && ptr.Status != DnsStatus.TempError)
        {
            state.CountIfVoid(ptr.Status, ptr.Records.Count);
        }

        var validated = new List<string>();
        foreach (var name in ptr.Records.Take(MaxNamesPerLookup))
        {
            var forward = await dns.QueryAddressesAsync(name, state.Client.AddressFamily == AddressFamily.InterNetworkV6, state.CancellationToken);
            if (forward.Records.Any(address => address.Equals(state.Client)))
            {
                validated.Add(name);
            }
        }

        return validated;
    }

    /// <summary>Section 6.2: problems with exp= are ignored (the default explanation is used).</summary>
    private async Task<string> ExplainAsync(State state, SpfRecord record, SpfMacroContext macros)
    {
        if (record.Explanation is null)
        {
            return DefaultExplanation;
        }

        try
        {
            var target = await ExpandDomainAsync(record.Explanation, macros);
            var answer = await dns.QueryTxtAsync(target, state.CancellationToken);
            if (answer.Status != DnsStatus.Ok || answer.Records.Count != 1)
            {
                return DefaultExplanation;
            }

            return await SpfMacro.ExpandAsync(answer.Records[0], macros, isExplanation: true);
        }
        catch (Exception exception) when (exception is SpfSyntaxException or SpfLimitException)
        {
            return DefaultExplanation;
        }
    }

    /// <summary>
    /// Section 7.3: an expanded domain over 253 characters loses labels on the left until it fits. Cut in
    /// one step at the first label boundary that leaves at most 253 (dropping one label at a time copied
    /// the rest each time: quadratic in the expansion's length).
    /// </summary>
    private static async Task<string> ExpandDomainAsync(string spec, SpfMacroContext macros)
    {
        var expanded = (await SpfMacro.ExpandAsync(spec, macros)).TrimEnd('.');
        if (expanded.Length <= 253)
        {
            return expanded;
        }

        var dot = expanded.IndexOf('.', expanded.Length - 254);
        return dot < 0 ? string.Empty : expanded[(dot + 1)..];
    }

    private static bool InNetwork(IPAddress client, IPAddress network, SpfMechanism mechanism)
    {
        if (client.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        var length = client.AddressFamily == AddressFamily.InterNetworkV6 ? mechanism.Cidr6 : mechanism.Cidr4;
        Span<byte> a = stackalloc byte[16];
        Span<byte> b = stackalloc byte[16];
        client.TryWriteBytes(a, out var size);
        network.TryWriteBytes(b, out _);
        for (var bit = 0; bit < length && bit < size * 8; bit += 8)
        {
            var bits = Math.Min(8, length - bit);
            var mask = (byte)(0xFF << (8 - bits));
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Section 4.3: labels of 1 to 63 octets, at least two labels; an address literal ([192.0.2.1]) is no domain.</summary>
    private static bool IsValidDomain(string domain)
    {
        if (domain.Length is 0 or > 253 || domain.StartsWith('[') || domain.EndsWith(']'))
        {
            return false;
        }

        var labels = domain.Split('.');
        return labels.Length >= 2 && labels.All(label => label.Length is > 0 and <= 63);
    }

    private static bool IsSameOrSubdomain(string name, string domain) =>
        name.Equals(domain, StringComparison.OrdinalIgnoreCase) || name.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);

    /// <summary>Per-evaluation counters shared across include and redirect.</summary>
    internal sealed class State(IPAddress client, string helo, string sender, string localPart, string senderDomain, CancellationToken cancellationToken)
    {
        private int _dnsMechanisms;
        private int _voidLookups;
        private Task<string>? _validatedName;

        public IPAddress Client { get; } = client;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public void CountDnsMechanism()
        {
            if (++_dnsMechanisms > MaxDnsMechanisms)
            {
                throw new SpfLimitException($"more than {MaxDnsMechanisms} DNS-querying mechanisms");
            }
        }

        public void CountIfVoid(DnsStatus status, int answers)
        {
            if ((status == DnsStatus.NxDomain || answers == 0) && ++_voidLookups > MaxVoidLookups)
            {
                throw new SpfLimitException($"more than {MaxVoidLookups} void DNS lookups");
            }
        }

        public SpfMacroContext MacrosFor(string domain, SpfEvaluator evaluator) => new(sender, localPart, senderDomain, domain, Client, helo, evaluator.ReceivingHost)
        {
            ValidatedName = () => _validatedName ??= ResolveValidatedName(domain, evaluator),
            CancellationToken = CancellationToken,
        };

        /// <summary>%{p}: prefer the domain itself, then a subdomain of it, then any validated name.</summary>
        private async Task<string> ResolveValidatedName(string domain, SpfEvaluator evaluator)
        {
            var names = await evaluator.ValidatedNamesAsync(this, countVoid: false);
            return names.FirstOrDefault(name => name.Equals(domain, StringComparison.OrdinalIgnoreCase))
                ?? names.FirstOrDefault(name => IsSameOrSubdomain(name, domain))
                ?? names.FirstOrDefault()
                ?? "unknown";
        }
    }

    /// <summary>%{r} in explanations: our own host name.</summary>
    internal string ReceivingHost { get; } = receivingHost;
}

/// <summary>A processing limit of section 4.6.4 was exceeded: permerror.</summary>
internal sealed class SpfLimitException(string message) : Exception(message);
