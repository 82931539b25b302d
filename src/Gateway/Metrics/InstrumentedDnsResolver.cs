using System.Diagnostics;
using Gateway.Core.Dns;

namespace Gateway.Metrics;

/// <summary>Counts and times every DNS query at the one seam all DNS-based checks share.</summary>
internal sealed class InstrumentedDnsResolver(IDnsResolver inner) : IDnsResolver
{
    public Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
        MeasureAsync("TXT", () => inner.QueryTxtAsync(name, cancellationToken));

    public Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) =>
        MeasureAsync(ipv6 ? "AAAA" : "A", () => inner.QueryAddressesAsync(name, ipv6, cancellationToken));

    public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) =>
        MeasureAsync("MX", () => inner.QueryMxAsync(name, cancellationToken));

    public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) =>
        MeasureAsync("PTR", () => inner.QueryPtrAsync(address, cancellationToken));

    private static async Task<DnsAnswer<T>> MeasureAsync<T>(string type, Func<Task<DnsAnswer<T>>> query)
    {
        var started = Stopwatch.GetTimestamp();
        var answer = await query();
        GatewayMetrics.DnsDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
        GatewayMetrics.DnsQueries.WithLabels(type, answer.Status.ToString().ToLowerInvariant()).Inc();
        return answer;
    }
}
