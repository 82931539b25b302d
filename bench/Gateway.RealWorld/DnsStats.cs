using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Gateway.RealWorld;

/// <summary>Asks the bench DNS server for its counters (and resets them), through its control names.</summary>
internal static class DnsStats
{
    public static async Task<int> PrintAsync(int port, bool reset)
    {
        var client = new DnsClient([IPAddress.Loopback], [new UdpClientTransport(port)], queryTimeout: 2000);
        var answer = await client.ResolveAsync(DomainName.Parse(reset ? "reset.bench-control" : "stats.bench-control"), RecordType.Txt);
        var text = answer?.AnswerRecords.OfType<TxtRecord>().FirstOrDefault()?.TextData;
        Console.WriteLine(text ?? "no answer");
        return text is null ? 1 : 0;
    }
}
