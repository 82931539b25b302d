using System.Net;
using BenchmarkDotNet.Attributes;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Dns;

namespace Gateway.Benchmarks;

/// <summary>
/// What one MAIL FROM costs in SPF when the sender publishes the record (issue 17, item 3): a plain
/// record as the baseline, and macro-heavy records against a ~1 KB local part. DNS is an in-memory
/// table, so the figures are the evaluator's own CPU.
/// dotnet run -c Release --project bench/Gateway.Benchmarks -- --filter '*SpfMacro*'
/// </summary>
[MemoryDiagnoser]
public class SpfMacroBenchmarks
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");
    private static readonly string LongSender = string.Join('.', Enumerable.Repeat("a", 500)) + "@{0}";

    private readonly SpfEvaluator _evaluator = new(new TableResolver(new Dictionary<string, string>
    {
        ["plain.test"] = "v=spf1 ip4:198.51.100.0/24 -all",
        ["macros25.test"] = Macros(25),
        ["macros200.test"] = Macros(200),
        ["macros2000.test"] = Macros(2000),
    }), "gateway.test");

    [Benchmark(Baseline = true)]
    public Task<SpfOutcome> PlainRecord() => _evaluator.CheckAsync(Client, "helo.test", "user@plain.test", CancellationToken.None);

    [Benchmark]
    public Task<SpfOutcome> Macros25LongLocalPart() => _evaluator.CheckAsync(Client, "helo.test", string.Format(null, LongSender, "macros25.test"), CancellationToken.None);

    [Benchmark]
    public Task<SpfOutcome> Macros200LongLocalPart() => _evaluator.CheckAsync(Client, "helo.test", string.Format(null, LongSender, "macros200.test"), CancellationToken.None);

    [Benchmark]
    public Task<SpfOutcome> Macros2000LongLocalPart() => _evaluator.CheckAsync(Client, "helo.test", string.Format(null, LongSender, "macros2000.test"), CancellationToken.None);

    private static string Macros(int count) => $"v=spf1 exists:{string.Concat(Enumerable.Repeat("%{l}", count))}.x.attacker.test -all";

    /// <summary>TXT from a table; every other question is NXDOMAIN.</summary>
    private sealed class TableResolver(Dictionary<string, string> txt) : IDnsResolver
    {
        public Task<DnsAnswer<string>> QueryTxtAsync(string name, CancellationToken cancellationToken) =>
            Task.FromResult(txt.TryGetValue(name, out var record) ? new DnsAnswer<string>(DnsStatus.Ok, [record]) : DnsAnswer<string>.NxDomain);

        public Task<DnsAnswer<IPAddress>> QueryAddressesAsync(string name, bool ipv6, CancellationToken cancellationToken) => Task.FromResult(DnsAnswer<IPAddress>.NxDomain);

        public Task<DnsAnswer<MxHost>> QueryMxAsync(string name, CancellationToken cancellationToken) => Task.FromResult(DnsAnswer<MxHost>.NxDomain);

        public Task<DnsAnswer<string>> QueryPtrAsync(IPAddress address, CancellationToken cancellationToken) => Task.FromResult(DnsAnswer<string>.NxDomain);
    }
}
