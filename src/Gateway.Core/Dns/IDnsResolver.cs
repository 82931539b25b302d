namespace Gateway.Core.Dns;

/// <summary>
/// The one DNS seam: SPF, DKIM, DMARC and the reputation lists all query through it, so they share one
/// resolver configuration, one cache and one fake in tests. Never throws for DNS outcomes.
/// </summary>
public interface IDnsResolver
{
    /// <summary>TXT records, each with its strings concatenated (RFC 7208 3.3, RFC 6376 3.6.2.2).</summary>
    Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken);

    /// <summary>A (<paramref name="ipv6"/> false) or AAAA records.</summary>
    Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string name, bool ipv6, CancellationToken cancellationToken);

    Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken);

    /// <summary>PTR names for an address (in-addr.arpa / ip6.arpa), without the trailing dot.</summary>
    Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken);
}
