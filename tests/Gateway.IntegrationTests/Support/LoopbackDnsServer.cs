using System.Net.Sockets;
using System.Collections.Concurrent;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A real DNS server (ARSoft.Tools.Net, UDP and TCP) on a loopback port, answering only from the zone data
/// the test puts in: NXDOMAIN for unknown names, NODATA for known names without the asked type, CNAMEs
/// followed, and names marked as timing out never answered. No test ever reaches a real resolver.
/// </summary>
internal sealed class LoopbackDnsServer : IAsyncDisposable
{
    private readonly DnsServer _server;
    private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _zone = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _timeouts = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _strays = new(StringComparer.OrdinalIgnoreCase);

    private LoopbackDnsServer(int port)
    {
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        _server = new DnsServer(new UdpServerTransport(EndPoint), new TcpServerTransport(EndPoint));
        _server.QueryReceived += OnQueryReceivedAsync;
        try
        {
            _server.Start();
        }
        catch (SocketException)
        {
            // Release whichever transport did bind before the other failed; the caller tries another port.
            try { _server.Stop(); } catch (Exception) { /* nothing more to release */ }
            throw;
        }
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Queries answered so far, as "name TYPE", for tests that assert what was (not) asked.</summary>
    public ConcurrentQueue<string> Queries { get; } = new();

    /// <summary>
    /// Starts on a port free for both UDP and TCP. A port free for TCP a moment ago can still be taken for
    /// UDP (another test's resolver uses ephemeral UDP source ports), so a bind failure means: try another.
    /// </summary>
    public static Task<LoopbackDnsServer> StartAsync() =>
        FreePort.RetryIfTakenAsync(
            () => Task.FromResult(new LoopbackDnsServer(FreePort.NextUdp())),
            exception => exception is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse },
            attempts: 20);

    public Gateway.Core.Configuration.DnsOptions Options(TimeSpan? timeout = null) => new()
    {
        Servers = [EndPoint.ToString()],
        Timeout = timeout ?? TimeSpan.FromSeconds(2),
    };

    public void Clear()
    {
        _zone.Clear();
        _timeouts.Clear();
    }

    public void Add(DnsRecordBase record) =>
        _zone.AddOrUpdate(Key(record.Name), _ => [record], (_, list) => { lock (list) { list.Add(record); } return list; });

    public void AddTxt(string name, params string[] strings) => Add(Txt(name, strings));

    /// <summary>A record of another owner put into every answer for <paramref name="queryName"/>, as a lying server would.</summary>
    public void AddStray(string queryName, DnsRecordBase record) =>
        _strays.AddOrUpdate(queryName.TrimEnd('.'), _ => [record], (_, list) => { lock (list) { list.Add(record); } return list; });

    /// <summary>
    /// A TXT record with its strings sent as UTF-8 bytes. ARSoft's own TxtRecord encodes text as ASCII
    /// (non-ASCII becomes '?'), which would hide exactly the bytes some SPF and DKIM tests are about.
    /// </summary>
    public static DnsRecordBase Txt(string name, IEnumerable<string> strings, RecordType type = RecordType.Txt)
    {
        var data = new List<byte>();
        foreach (var text in strings)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            for (var offset = 0; offset == 0 || offset < bytes.Length; offset += 255)
            {
                var chunk = bytes.AsSpan(offset, Math.Min(255, bytes.Length - offset));
                data.Add((byte)chunk.Length);
                data.AddRange(chunk.ToArray());
            }
        }

        return new UnknownRecord(Name(name), type, RecordClass.INet, 60, [.. data]);
    }

    public void AddA(string name, string address) => Add(Address(name, IPAddress.Parse(address)));

    public void AddMx(string name, int preference, string host) => Add(new MxRecord(Name(name), 60, (ushort)preference, Name(host)));

    public void AddPtr(string name, string target) => Add(new PtrRecord(Name(name), 60, Name(target)));

    public void AddCname(string name, string target) => Add(new CNameRecord(Name(name), 60, Name(target)));

    /// <summary>Queries for this name go unanswered (the client times out), except for types it has records of.</summary>
    public void AddTimeout(string name) => _timeouts[name.TrimEnd('.')] = true;

    public static DnsRecordBase Address(string name, IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? new AaaaRecord(Name(name), 60, address)
            : new ARecord(Name(name), 60, address);

    public ValueTask DisposeAsync()
    {
        try
        {
            _server.Stop();
        }
        catch (AggregateException exception) when (exception.InnerExceptions.All(inner => inner is OperationCanceledException))
        {
            // ARSoft reports its own listener tasks as cancelled when it stops.
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Labels as given: DNS allows any octet in a label, and SPF tests use spaces and colons.</summary>
    public static DomainName Name(string name) => name.TrimEnd('.') is { Length: > 0 } trimmed ? new(trimmed.Split('.')) : DomainName.Root;

    private static string Key(DomainName name) => name.ToString().TrimEnd('.');

    private async Task OnQueryReceivedAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
        {
            return;
        }

        var question = query.Questions[0];
        var name = Key(question.Name);
        Queries.Enqueue($"{name} {question.RecordType}");
        if (_timeouts.ContainsKey(name) && !(_zone.TryGetValue(name, out var own) && own.Any(record => record.RecordType == question.RecordType)))
        {
            await Task.Delay(TimeSpan.FromSeconds(30));
            return;
        }

        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        if (_strays.TryGetValue(name, out var strays))
        {
            response.AnswerRecords.AddRange(strays);
        }

        if (!_zone.ContainsKey(name))
        {
            response.ReturnCode = ReturnCode.NxDomain;
            e.Response = response;
            return;
        }

        // Follow CNAMEs as a recursive resolver would, answering with the chain and the final records.
        for (var hops = 0; hops < 8 && _zone.TryGetValue(name, out var records); hops++)
        {
            List<DnsRecordBase> snapshot;
            lock (records)
            {
                snapshot = [.. records];
            }

            var cname = snapshot.OfType<CNameRecord>().FirstOrDefault();
            if (cname is not null && question.RecordType != RecordType.CName)
            {
                response.AnswerRecords.Add(cname);
                name = Key(cname.CanonicalName);
                continue;
            }

            response.AnswerRecords.AddRange(snapshot.Where(record => record.RecordType == question.RecordType));
            break;
        }

        response.ReturnCode = ReturnCode.NoError;
        e.Response = response;
    }
}
