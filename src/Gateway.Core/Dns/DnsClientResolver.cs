using System.Collections.Concurrent;
using System.Net.Sockets;
using DnsClient;
using DnsClient.Protocol;
using Gateway.Core.Configuration;

namespace Gateway.Core.Dns;

/// <summary>
/// <see cref="IDnsResolver"/> over DnsClient: the configured servers only (the system resolver only when
/// none are configured), one timeout, and our own bounded TTL-honouring cache (DnsClient's own cache has
/// no size limit).
/// </summary>
public sealed class DnsClientResolver : IDnsResolver
{
    private static readonly TimeSpan MaxNegativeTtl = TimeSpan.FromMinutes(5);
    private readonly LookupClient _client;
    private readonly DnsAnswerCache _cache;

    /// <summary>Queries on the wire now, by name and type: a second asker of the same waits for the same answer.</summary>
    private readonly ConcurrentDictionary<(string Name, QueryType Type), Task<object>> _inFlight = new();

    public DnsClientResolver(DnsOptions options, TimeProvider? time = null)
    {
        _cache = new DnsAnswerCache(options.CacheSize, time ?? TimeProvider.System);
        var lookupOptions = options.Servers.Count > 0
            ? new LookupClientOptions([.. options.ServerEndPoints])
            : new LookupClientOptions();
        lookupOptions.Timeout = options.Timeout;
        lookupOptions.Retries = 1;
        lookupOptions.UseCache = false;
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

    /// <summary>Entries in the answer cache now (for tests and diagnostics).</summary>
    public int CachedAnswers => _cache.Count;

    private async Task<DnsAnswer<T>> QueryAsync<T>(string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        var key = name.TrimEnd('.').ToLowerInvariant();
        if (_cache.TryGet<T>(key, (int)type, out var cached))
        {
            return cached;
        }

        // Many sessions ask the same names at once (a busy sender's SPF, DKIM key and lists, before the
        // first answer is cached): one query goes out, the others wait for it (measured: repeats within
        // the TTL seen by the DNS server went to none, bench/RESULTS.md). The shared query runs without
        // any one asker's token, so one client leaving does not fail the others; its own timeout bounds it.
        var flight = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        var shared = _inFlight.GetOrAdd((key, type), flight.Task);
        if (shared == flight.Task)
        {
            _ = FlyAsync(flight, key, name, type, select);
        }

        return (DnsAnswer<T>)await shared.WaitAsync(cancellationToken);
    }

    /// <summary>The one query for a name and type on the wire: answers every asker, caches, and leaves the in-flight table.</summary>
    private async Task FlyAsync<T>(TaskCompletionSource<object> flight, string key, string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select)
    {
        try
        {
            var (fresh, ttl) = await AskAsync(name, type, select, CancellationToken.None);
            _cache.Add(key, (int)type, fresh, ttl);
            flight.SetResult(fresh);
        }
        catch (Exception exception)
        {
            flight.SetException(exception);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<(string, QueryType), Task<object>>((key, type), flight.Task));
        }
    }

    private async Task<(DnsAnswer<T> Answer, TimeSpan Ttl)> AskAsync<T>(string name, QueryType type, Func<IEnumerable<DnsResourceRecord>, IEnumerable<T>> select, CancellationToken cancellationToken)
    {
        IDnsQueryResponse response;
        try
        {
            response = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken);
        }
        catch (ArgumentException)
        {
            // Not a valid DNS name (a label over 63 octets, say): it cannot exist.
            return (DnsAnswer<T>.NxDomain, TimeSpan.Zero);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Timeouts, transport errors, answers we cannot parse, an answer with another query's ID
            // (DnsXidMismatchException is no DnsResponseException): temporary, whatever the cause. A
            // resolver that throws would turn one odd packet into a failed check instead of temperror.
            return (DnsAnswer<T>.TempError, TimeSpan.Zero);
        }

        if (response.Header.ResponseCode == DnsHeaderResponseCode.NotExistentDomain)
        {
            return (DnsAnswer<T>.NxDomain, NegativeTtl(response));
        }

        if (response.HasError)
        {
            return (DnsAnswer<T>.TempError, TimeSpan.Zero);
        }

        var records = select(OwnedBy(name, response.Answers)).ToList();
        var ttl = records.Count == 0
            ? NegativeTtl(response)
            : TimeSpan.FromSeconds(response.Answers.Min(record => record.InitialTimeToLive));
        return (new DnsAnswer<T>(DnsStatus.Ok, records), ttl);
    }

    /// <summary>RFC 2308: a negative answer lives min(SOA TTL, SOA MINIMUM); without a SOA it is not cached.</summary>
    private static TimeSpan NegativeTtl(IDnsQueryResponse response)
    {
        var soa = response.Authorities.SoaRecords().FirstOrDefault();
        if (soa is null)
        {
            return TimeSpan.Zero;
        }

        var ttl = TimeSpan.FromSeconds(Math.Min(soa.InitialTimeToLive, soa.Minimum));
        return ttl < MaxNegativeTtl ? ttl : MaxNegativeTtl;
    }

    private static string TrimDot(string name) => name.TrimEnd('.');

    /// <summary>
    /// The answer's records for the name asked, following its CNAME chain (at most 16 links, no loops):
    /// a record of any other owner in the answer section is not an answer to our question. A server that
    /// adds "other.test TXT v=spf1 +all" to its answer for sender.test must not be believed for either.
    /// </summary>
    private static IEnumerable<DnsResourceRecord> OwnedBy(string name, IReadOnlyList<DnsResourceRecord> answers)
    {
        // Names compare as the wire has them (DnsClient's Value) or as written (Original: an IDN label may
        // come back decoded), case-insensitively.
        static bool Owns(DnsString owner, HashSet<string> names) => names.Contains(TrimDot(owner.Value)) || names.Contains(TrimDot(owner.Original));
        var current = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { TrimDot(name) };
        try
        {
            current.Add(TrimDot(DnsString.Parse(name).Value));
        }
        catch (ArgumentException)
        {
            // Not a name DnsClient would have asked for; the answer was empty anyway.
        }

        var seen = new HashSet<string>(current, StringComparer.OrdinalIgnoreCase);
        for (var links = 0; links < 16; links++)
        {
            var alias = answers.CnameRecords().FirstOrDefault(record => Owns(record.DomainName, current));
            if (alias is null || !seen.Add(TrimDot(alias.CanonicalName.Value)))
            {
                break;
            }

            current = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { TrimDot(alias.CanonicalName.Value), TrimDot(alias.CanonicalName.Original) };
        }

        return answers.Where(record => record is not CNameRecord && Owns(record.DomainName, current));
    }
}
