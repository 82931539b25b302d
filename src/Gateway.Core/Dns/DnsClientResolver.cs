using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Gateway.Core.Configuration;

namespace Gateway.Core.Dns;

/// <summary>
/// <see cref="IDnsResolver"/> over DnsClient: the configured servers only (the system resolver only when
/// none are configured), one timeout, and DnsClient's TTL-honouring cache.
/// </summary>
public sealed class DnsClientResolver : IDnsResolver
{
    private readonly LookupClient _client;

    public DnsClientResolver(DnsOptions options)
    {
        var lookupOptions = options.Servers.Count > 0
            ? new LookupClientOptions([.. options.ServerEndPoints])
            : new LookupClientOptions();
        lookupOptions.Timeout = options.Timeout;
        lookupOptions.Retries = 1;
        lookupOptions.UseCache = true;
        lookupOptions.MaximumCacheTimeout = TimeSpan.FromHours(1);
        lookupOptions.UseTcpFallback = true;
        lookupOptions.ThrowDnsErrors = false;
        lookupOptions.ContinueOnDnsError = false;
        lookupOptions.ContinueOnEmptyResponse = false;
        lookupOptions.UseRandomNameServer = false;
        _client = new LookupClient(lookupOptions);
    }

    public Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.TXT, answers => answers.TxtRecords().Select(record => string.Concat(record.Text)), cancellationToken);

    public Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) => ipv6
        ? QueryAsync(name, QueryType.AAAA, answers => answers.AaaaRecords().Select(record => record.Address), cancellationToken)
        : QueryAsync(name, QueryType.A, answers => answers.ARecords().Select(record => record.Address), cancellationToken);

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        QueryAsync(name, QueryType.MX, answers => answers.MxRecords().Select(record => new MxHost(record.Preference, TrimDot(record.Exchange.Value))), cancellationToken);

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) =>
        QueryAsync(ReverseDns.PtrName(address), QueryType.PTR, answers => answers.PtrRecords().Select(record => TrimDot(record.PtrDomainName.Value)), cancellationToken);

    private async Task<DnsAnswer<T>> QueryAsync<T>(string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken);
        }
        catch (Exception exception) when (exception is DnsResponseException or DnsResponseParseException or SocketException)
        {
            // Timeouts, transport errors and answers we cannot parse: temporary, whatever the cause.
            return DnsAnswer<T>.TempError;
        }
        catch (ArgumentException)
        {
            // Not a valid DNS name (a label over 63 octets, say): it cannot exist.
            return DnsAnswer<T>.NxDomain;
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return DnsAnswer<T>.NxDomain;
        }

        return response.HasError ? DnsAnswer<T>.TempError : new DnsAnswer<T>(DnsStatus.Ok, [.. select(response.Answers)]);
    }

    private static string TrimDot(string name) => name.TrimEnd('.');
}
