using Gateway.Core.Dns;

namespace Gateway.Core.Tests.Dns;

/// <summary>A dictionary-backed resolver for unit tests: names not given are NXDOMAIN, names marked failing are temperror.</summary>
internal sealed class FakeDnsResolver : IDnsResolver
{
    private readonly Dictionary<string, List<string>> _txt = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<IPAddress>> _addresses = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _failing = new(StringComparer.OrdinalIgnoreCase);

    public List<string> Queries { get; } = [];

    public FakeDnsResolver Txt(string name, string value)
    {
        Get(_txt, name).Add(value);
        return this;
    }

    public FakeDnsResolver A(string name, string address)
    {
        Get(_addresses, name).Add(IPAddress.Parse(address));
        return this;
    }

    public FakeDnsResolver Failing(string name)
    {
        _failing.Add(name);
        return this;
    }

    public Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken) => Answer(name, _txt);

    public Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
        Answer(name, _addresses, address => (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6) == ipv6);

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        Task.FromResult(Exists(name) ? new DnsAnswer<MxHost>(DnsStatus.Ok, []) : DnsAnswer<MxHost>.NxDomain);

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) => Task.FromResult(DnsAnswer<string>.NxDomain);

    private bool Exists(string name) => _txt.ContainsKey(name) || _addresses.ContainsKey(name);

    private Task<DnsAnswer<T>> Answer<T>(string name, Dictionary<string, List<T>> table, Func<T, bool>? filter = null)
    {
        lock (Queries)
        {
            Queries.Add(name);
        }

        if (_failing.Contains(name))
        {
            return Task.FromResult(DnsAnswer<T>.TempError);
        }

        if (!Exists(name))
        {
            return Task.FromResult(DnsAnswer<T>.NxDomain);
        }

        var records = table.TryGetValue(name, out var list) ? list.Where(filter ?? (_ => true)).ToList() : [];
        return Task.FromResult(new DnsAnswer<T>(DnsStatus.Ok, records));
    }

    private static List<T> Get<T>(Dictionary<string, List<T>> table, string name) =>
        table.TryGetValue(name, out var list) ? list : table[name] = [];
}
