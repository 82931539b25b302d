using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Gateway.Load;

/// <summary>
/// Soak: N messages at concurrency C through the gateway whose downstream injects faults, then the
/// reconciliation: every message the client got 250 for is downstream exactly once, every other one had
/// a 4xx/5xx or no reply. Exit code 1 on any loss or duplicate.
/// </summary>
internal static class Soak
{
    public static async Task<int> RunAsync(string gatewayDll, int messages, int concurrency, double faultRate)
    {
        // DATA's final reply may take 4x the downstream timeout: hangs are cut after 4 s.
        await using var downstream = new FaultyDownstream(faultRate, hang: TimeSpan.FromSeconds(6));
        using var gateway = await BenchGateway.StartAsync(gatewayDll, downstream.EndPoint, ", timeout: 1s, pool_size: 32", "limits: {max_connections: 1000, max_connections_per_ip: 1000}");

        var client = new SoakClient(gateway.EndPoint, messages, concurrency, perSession: 10);
        var clock = Stopwatch.StartNew();
        await client.RunAsync();
        clock.Stop();
        await Task.Delay(TimeSpan.FromSeconds(7)); // hung downstream transactions end before counting

        var accepted = client.Replies.Where(pair => pair.Value / 100 == 2).Select(pair => pair.Key).ToList();
        var lost = accepted.Count(id => !downstream.Delivered.ContainsKey(id));
        var duplicated = downstream.Delivered.Count(pair => pair.Value > 1);
        var deliveredWithoutOk = downstream.Delivered.Keys.Count(id => !(client.Replies.TryGetValue(id, out var code) && code / 100 == 2));
        var byClass = client.Replies.Values.GroupBy(code => code == 0 ? "no reply" : $"{code / 100}xx").OrderBy(group => group.Key, StringComparer.Ordinal);

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: {messages} messages, concurrency {concurrency}, downstream fault rate {faultRate:P1}, {clock.Elapsed.TotalSeconds:0.0} s ({messages / clock.Elapsed.TotalSeconds:0} msgs/s)"));
        Console.WriteLine("faults injected: " + string.Join(", ", downstream.Faults.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key} {pair.Value}")));
        Console.WriteLine("client replies:  " + string.Join(", ", byClass.Select(group => $"{group.Key} {group.Count()}")) + $", none recorded {messages - client.Replies.Count}");
        Console.WriteLine($"reconciliation:  250 {accepted.Count}, delivered {downstream.Delivered.Count}, lost {lost}, duplicated {duplicated}, delivered without 250 {deliveredWithoutOk}");
        return lost == 0 && duplicated == 0 && client.Replies.Count == messages ? 0 : 1;
    }
}
