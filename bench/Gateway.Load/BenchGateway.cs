using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Load;

/// <summary>
/// The real gateway as a child process (the Release build), offline, with the shipped rules and model,
/// on a free loopback port, delivering to the given downstream. What every load command measures.
/// </summary>
internal sealed class BenchGateway : IDisposable
{
    private readonly Process _process;

    private BenchGateway(Process process, IPEndPoint endPoint, int metricsPort)
    {
        _process = process;
        EndPoint = endPoint;
        MetricsPort = metricsPort;
    }

    public IPEndPoint EndPoint { get; }

    public int MetricsPort { get; }

    public int ProcessId => _process.Id;

    /// <param name="extraYaml">Top-level keys added to the configuration (limits:, mode: ...); BENCH_EXTRA_YAML adds more (bench/site-latency.sh: state:, learning:).</param>
    public static async Task<BenchGateway> StartAsync(string gatewayDll, IPEndPoint downstream, string downstreamOptions = "", string extraYaml = "")
    {
        var port = FreeTcpPort();
        var metricsPort = FreeTcpPort();
        var folder = Directory.CreateTempSubdirectory("bench-gateway-").FullName;
        var config = Path.Combine(folder, "gateway.yaml");
        File.WriteAllText(config, $"""
            hostname: gateway.bench.test
            listen: ["127.0.0.1:{port}"]
            domains: [example.test]
            downstream: {"{"}host: 127.0.0.1, port: {downstream.Port}, tls: none{downstreamOptions}{"}"}
            rules: {Path.GetFullPath("rules")}
            classifier: {"{"}enabled: true, model: {Path.GetFullPath("models/spam.zip")}{"}"}
            metrics: {"{"}listen: "127.0.0.1:{metricsPort}"{"}"}
            {extraYaml}
            {Environment.GetEnvironmentVariable("BENCH_EXTRA_YAML")}
            """);
        var process = Process.Start(new ProcessStartInfo("dotnet", [gatewayDll, "run", "--offline", "--config", config])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        for (var attempt = 0; attempt < 120; attempt++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return new BenchGateway(process, new IPEndPoint(IPAddress.Loopback, port), metricsPort);
            }
            catch (SocketException)
            {
                await Task.Delay(500);
            }
        }

        process.Kill();
        throw new InvalidOperationException("the gateway did not start listening");
    }

    /// <summary>Resident and peak resident memory (VmRSS, VmHWM) in bytes, from /proc.</summary>
    public (long Rss, long Peak) Memory()
    {
        long Field(string name) => long.Parse(
            File.ReadLines($"/proc/{_process.Id}/status").First(line => line.StartsWith(name, StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            CultureInfo.InvariantCulture) * 1024;
        return (Field("VmRSS:"), Field("VmHWM:"));
    }

    /// <summary>Resets the peak (VmHWM) to the current RSS (Linux: write 5 to clear_refs).</summary>
    public void ResetPeak() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    public async Task<string> MetricsAsync()
    {
        using var http = new HttpClient();
        return await http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
