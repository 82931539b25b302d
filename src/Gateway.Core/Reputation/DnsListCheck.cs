using Gateway.Core.Content;
using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;

namespace Gateway.Core.Reputation;

/// <summary>
/// Queries the enabled DNS lists of the message's policy, all in parallel. A listing becomes its symbol;
/// a resolver error, or an answer outside 127.0.0.0/8 or inside 127.255.255.0/24 (Spamhaus' "query refused /
/// blocked resolver"), becomes {NAME}_ERROR: never a listing.
/// </summary>
public sealed class DnsListCheck(IDnsResolver dns, IDnsListMonitor? monitor = null) : IMessageCheck
{
    private const int MaxDomains = 20;

    public string Name => "dnslists";

    public IReadOnlyList<string> DependsOn => [];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var lists = message.DnsLists?.Lists.Where(list => list.Enabled).ToList() ?? [];
        if (lists.Count == 0)
        {
            return CheckStatus.Skipped;
        }

        var domains = lists.Any(list => list.Kind == DnsListKind.Domain) ? DomainsOf(message) : [];
        var queries = lists.SelectMany(list => list.Kind == DnsListKind.Ip
            ? [QueryAsync(message, list, QueryName(list, message.Envelope.ClientAddress), message.Envelope.ClientAddress.ToString(), cancellationToken)]
            : domains.Select(domain => QueryAsync(message, list, $"{domain}.{list.Zone}", domain, cancellationToken)));
        await Task.WhenAll(queries);
        return CheckStatus.Completed;
    }

    /// <summary>The name to ask a list about an address (RFC 5782).</summary>
    public static string QueryName(DnsListDefinition list, IPAddress address) => $"{ReverseDns.ReversedLabels(address)}.{list.Zone}";

    private async Task QueryAsync(MessageContext message, DnsListDefinition list, string name, string subject, CancellationToken cancellationToken)
    {
        foreach (var hit in await LookupAsync(dns, list, name, subject, cancellationToken, monitor))
        {
            message.Add(new SymbolHit(hit.Symbol, 1.0, hit.Detail));
        }
    }

    /// <summary>One lookup in one list, as symbols: the meaning of each answer, or NAME_ERROR for trouble.</summary>
    public static async Task<IReadOnlyList<DnsListHit>> LookupAsync(IDnsResolver dns, DnsListDefinition list, string name, string subject, CancellationToken cancellationToken, IDnsListMonitor? monitor = null)
    {
        var hits = Meaning(list, subject, await dns.QueryAddressesAsync(name, ipv6: false, cancellationToken));
        monitor?.Looked(list, subject, hits);
        return hits;
    }

    private static List<DnsListHit> Meaning(DnsListDefinition list, string subject, DnsAnswer<IPAddress> answer)
    {
        if (answer.Status == DnsStatus.TempError)
        {
            return [new DnsListHit($"{list.Name}_ERROR", $"{subject}: DNS error querying {list.Zone}", IsError: true)];
        }

        var hits = new List<DnsListHit>();
        foreach (var address in answer.Records)
        {
            var bytes = address.GetAddressBytes();
            if (bytes[0] != 127 || (bytes[1] == 255 && bytes[2] == 255))
            {
                hits.Add(new DnsListHit($"{list.Name}_ERROR", $"{subject}: {list.Zone} answered {address} (refused, blocked or broken resolver, not a listing)", IsError: true));
                continue;
            }

            var matched = false;
            if (list.Codes.TryGetValue(address.ToString(), out var meaning))
            {
                hits.Add(new DnsListHit(meaning.Symbol, $"{subject} listed in {list.Zone} ({address})"));
                matched = true;
            }

            foreach (var (bit, bitMeaning) in list.Bitmask.Where(pair => (bytes[3] & pair.Key) != 0))
            {
                hits.Add(new DnsListHit(bitMeaning.Symbol, $"{subject} listed in {list.Zone} ({address}, bit {bit})"));
                matched = true;
            }

            if (!matched)
            {
                hits.Add(new DnsListHit(list.Listed?.Symbol ?? $"{list.Name}_LISTED", $"{subject} listed in {list.Zone} ({address})"));
            }
        }

        return hits;
    }

    /// <summary>
    /// URL hosts, the envelope sender's and From domains, HELO and the reverse DNS name, each reduced to its
    /// registered domain (Public Suffix List) as URI lists expect, without duplicates, at most <see cref="MaxDomains"/>.
    /// </summary>
    private static List<string> DomainsOf(MessageContext message)
    {
        var envelope = message.Envelope;
        IEnumerable<string?> candidates =
        [
            .. message.UrlHosts(),
            envelope.From is { } from && from.LastIndexOf('@') is var at and >= 0 ? from[(at + 1)..] : null,
            .. message.Message.From.Mailboxes.Select(mailbox => mailbox.Domain),
            envelope.HeloName,
            envelope.ReverseName,
        ];
        return [.. candidates
            .OfType<string>()
            .Select(MessageUrls.Normalize)
            .OfType<string>()
            .Select(PublicSuffixList.Shipped.RegisteredDomain)
            .OfType<string>()
            .Distinct()
            .Take(MaxDomains)];
    }
}

/// <summary>One answer of a DNS list, as the symbol it means.</summary>
public sealed record DnsListHit(string Symbol, string Detail, bool IsError = false);
