using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gateway.Soak;

// Soak: N messages at concurrency C through a running gateway whose downstream injects faults, then a
// reconciliation: every message the client got 250 for must be downstream exactly once, every other one
// must have had a 4xx/5xx or no reply. The gateway itself is started by bench/soak.sh.
// Usage (from the repository root, via bench/soak.sh):
//        Gateway.Soak run GATEWAY_DLL MESSAGES CONCURRENCY FAULT_RATE
if (args is not ["run", var gatewayDll, var messagesText, var concurrencyText, var faultRateText])
{
    Console.Error.WriteLine("usage: Gateway.Soak run GATEWAY_DLL MESSAGES CONCURRENCY FAULT_RATE");
    return 2;
}

var messages = int.Parse(messagesText, CultureInfo.InvariantCulture);
var concurrency = int.Parse(concurrencyText, CultureInfo.InvariantCulture);
var faultRate = double.Parse(faultRateText, CultureInfo.InvariantCulture);
var downstreamTimeout = TimeSpan.FromSeconds(1); // DATA's final reply may take 4x: hangs are cut after 4 s
await using var downstream = new FaultyDownstream(faultRate, hang: TimeSpan.FromSeconds(6));

var port = FreeTcpPort();
var folder = Directory.CreateTempSubdirectory("soak-").FullName;
var config = Path.Combine(folder, "gateway.yaml");
File.WriteAllText(config, $"""
    hostname: gateway.soak.test
    listen: ["127.0.0.1:{port}"]
    domains: [example.test]
    downstream: {"{"}host: 127.0.0.1, port: {downstream.EndPoint.Port}, tls: none, timeout: {downstreamTimeout.TotalSeconds}s, pool_size: 32{"}"}
    limits: {"{"}max_connections: 1000, max_connections_per_ip: 1000{"}"}
    rules: {Path.GetFullPath("rules")}
    classifier: {"{"}enabled: true, model: {Path.GetFullPath("models/spam.zip")}{"}"}
    metrics: {"{"}listen: ""{"}"}
    """);
using var gateway = Process.Start(new ProcessStartInfo("dotnet", [gatewayDll, "run", "--offline", "--config", config])
{
    RedirectStandardError = true,
    RedirectStandardOutput = true,
})!;
gateway.OutputDataReceived += (_, _) => { };
gateway.ErrorDataReceived += (_, _) => { };
gateway.BeginOutputReadLine();
gateway.BeginErrorReadLine();
await WaitListeningAsync(port);

var client = new SoakClient(new IPEndPoint(IPAddress.Loopback, port), messages, concurrency, perSession: 10);
var clock = Stopwatch.StartNew();
await client.RunAsync();
clock.Stop();
await Task.Delay(TimeSpan.FromSeconds(7)); // hung downstream transactions end before counting
gateway.Kill();

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

static int FreeTcpPort()
{
    using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static async Task WaitListeningAsync(int port)
{
    for (var attempt = 0; attempt < 120; attempt++)
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpClient();
            await probe.ConnectAsync(IPAddress.Loopback, port);
            return;
        }
        catch (System.Net.Sockets.SocketException)
        {
            await Task.Delay(500);
        }
    }

    throw new InvalidOperationException("the gateway did not start listening");
}
