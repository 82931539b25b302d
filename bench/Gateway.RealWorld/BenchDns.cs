using System.Collections.Concurrent;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Gateway.RealWorld;

/// <summary>
/// The benchmark's authoritative DNS server on loopback (ARSoft.Tools.Net, UDP and TCP): it answers only
/// from the population's zone file, NXDOMAIN for every other name (so a scanner's default lists and
/// URL lookups cost a round trip, as on the internet, and nothing ever leaves the machine), each answer
/// after <c>delay</c> as a far-away server would. It counts what it is asked, and how often a name and
/// type is asked again while an earlier answer to it is still within its TTL (a cache that should have
/// answered). Negative answers carry the zone's SOA (so they may be cached for NEGATIVE_TTL). Control names (TXT): <c>stats.bench-control</c> answers the counters and
/// <c>reset.bench-control</c> zeroes them, so the driver can measure one target at a time.
/// </summary>
internal sealed class BenchDns
{
    private readonly Dictionary<string, List<DnsRecordBase>> _zone;
    private readonly TimeSpan _delay;
    private readonly int _negativeTtl;
    private readonly ConcurrentDictionary<string, DateTime> _validUntil = new();
    private long _queries;
    private long _repeats;
    private long _nxdomain;

    private BenchDns(Dictionary<string, List<DnsRecordBase>> zone, TimeSpan delay, int negativeTtl)
    {
        _zone = zone;
        _delay = delay;
        _negativeTtl = negativeTtl;
    }

    /// <summary>Serves until stdin closes or the process is killed.</summary>
    public static async Task<int> RunAsync(int port, int delayMs, string zoneFile, int negativeTtl)
    {
        var dns = new BenchDns(Zone.Load(zoneFile), TimeSpan.FromMilliseconds(delayMs), negativeTtl);
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        var server = new DnsServer(new UdpServerTransport(endPoint), new TcpServerTransport(endPoint));
        server.QueryReceived += dns.OnQueryAsync;
        server.Start();
        Console.Error.WriteLine($"bench dns: {dns._zone.Count} names on {endPoint}, answers after {delayMs} ms");
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    private async Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return;
        }

        var question = query.Questions[0];
        var name = question.Name.ToString().TrimEnd('.').ToLowerInvariant();
        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        if (name.EndsWith(".bench-control", StringComparison.Ordinal))
        {
            Control(name, response);
            e.Response = response;
            return;
        }

        Interlocked.Increment(ref _queries);
        var key = $"{name}/{question.RecordType}";
        var now = DateTime.UtcNow;
        if (_validUntil.TryGetValue(key, out var until) && until > now)
        {
            Interlocked.Increment(ref _repeats);
        }

        await Task.Delay(_delay);
        if (!_zone.TryGetValue(name, out var records))
        {
            Interlocked.Increment(ref _nxdomain);
            response.ReturnCode = ReturnCode.NxDomain;
            response.AuthorityRecords.Add(Soa(question.Name));
            _validUntil[key] = now.AddSeconds(_negativeTtl);
            e.Response = response;
            return;
        }

        var answers = records.Where(record => record.RecordType == question.RecordType).ToList();
        response.AnswerRecords.AddRange(answers);
        if (answers.Count == 0)
        {
            response.AuthorityRecords.Add(Soa(question.Name));
        }

        // A cache may keep a NODATA answer for the negative TTL too (RFC 2308).
        _validUntil[key] = now.AddSeconds(answers.Count > 0 ? answers.Min(record => record.TimeToLive) : _negativeTtl);
        e.Response = response;
    }

    /// <summary>
    /// The SOA an authoritative server puts beside a negative answer (RFC 2308): without it a resolver may
    /// not cache NXDOMAIN or NODATA at all. The zone is taken to be the name's last two labels.
    /// </summary>
    private DnsRecordBase Soa(DomainName name)
    {
        var apex = name.LabelCount > 2 ? name.GetParentName(name.LabelCount - 2) : name;
        return new SoaRecord(apex, _negativeTtl, DomainName.Parse("ns.bench-dns"), DomainName.Parse("hostmaster.bench-dns"), 1, 3600, 600, 86400, _negativeTtl);
    }

    private void Control(string name, DnsMessage response)
    {
        if (name.StartsWith("reset.", StringComparison.Ordinal))
        {
            Interlocked.Exchange(ref _queries, 0);
            Interlocked.Exchange(ref _repeats, 0);
            Interlocked.Exchange(ref _nxdomain, 0);
            _validUntil.Clear();
        }

        response.AnswerRecords.Add(new TxtRecord(DomainName.Parse(name), 0, $"queries={_queries} repeats={_repeats} nxdomain={_nxdomain}"));
    }
}
