using System.Diagnostics;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// The real `gateway run` as its own process (the built gateway.dll next to the tests), for what only a
/// process can show: signals. Configured on a free loopback port, loopback DNS, the given downstream.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, IPEndPoint endPoint, string folder)
    {
        _process = process;
        EndPoint = endPoint;
        Folder = folder;
        process.OutputDataReceived += (_, line) => { lock (_output) { _output.AppendLine(line.Data); } };
        process.ErrorDataReceived += (_, line) => { lock (_output) { _output.AppendLine(line.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>The process id (its open descriptors are in /proc/PID/fd).</summary>
    public int Pid => _process.Id;

    /// <summary>The folder of its gateway.yaml (and of its data/).</summary>
    public string Folder { get; }

    /// <summary>What `gateway learn` would send to its /learn: derived from the secret it created on start.</summary>
    public string LearnToken => Gateway.Core.Learning.SiteSecret.Load(Path.Combine(Folder, "data", "learning.secret")).LearnToken;

    /// <summary>
    /// The gateway as its own project built it (same configuration as these tests): the copy beside the
    /// tests lacks its runtimeconfig and dependency manifest and cannot run on its own.
    /// </summary>
    public static string Executable
    {
        get
        {
            var output = Path.GetRelativePath(Path.Combine(RepositoryRoot.Path, "tests", "Gateway.IntegrationTests"), AppContext.BaseDirectory);
            return Path.Combine(RepositoryRoot.Path, "src", "Gateway", output, "gateway.dll");
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts it; a port taken before the process bound it (the process exits) means another try.</summary>
    /// <param name="extraYaml">More top-level gateway.yaml keys (state:, greylisting:, rate_limits: ...).</param>
    /// <param name="rulesFolder">The policy folder; the shipped rules/ when null.</param>
    /// <param name="classifier">The classifier: key's value.</param>
    /// <param name="metricsPort">Where the HTTP listener (metrics, /learn) listens on loopback; off when null.</param>
    public static Task<GatewayProcess> StartAsync(IPEndPoint downstream, IPEndPoint dns, string drainTimeout = "30s", string extraYaml = "", string? rulesFolder = null, string classifier = "{enabled: false}", int? metricsPort = null) =>
        FreePort.RetryIfTakenAsync(() => TryStartAsync(downstream, dns, drainTimeout, extraYaml, rulesFolder ?? RepositoryRoot.Rules, classifier, metricsPort), exception => exception is PortTakenException);

    private static async Task<GatewayProcess> TryStartAsync(IPEndPoint downstream, IPEndPoint dns, string drainTimeout, string extraYaml, string rulesFolder, string classifier, int? metricsPort)
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("gateway-process-").FullName;
        var config = Path.Combine(folder, "gateway.yaml");
        File.WriteAllText(config, $"""
            hostname: gateway.example.test
            domains: [example.test]
            listen: ["127.0.0.1:{port}"]
            rules: {rulesFolder}
            downstream: {"{"}host: "{downstream.Address}", port: {downstream.Port}, tls: none{"}"}
            dns: {"{"}servers: ["{dns}"], timeout: 1s{"}"}
            metrics: {"{"}listen: "{(metricsPort is { } metrics ? $"127.0.0.1:{metrics}" : string.Empty)}"{"}"}
            classifier: {classifier}
            limits: {"{"}drain_timeout: {drainTimeout}{"}"}
            {extraYaml}
            """);
        var start = new ProcessStartInfo("dotnet", [Executable, "run", "--config", config])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var gateway = new GatewayProcess(process, new IPEndPoint(IPAddress.Loopback, port), folder);
        try
        {
            await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30), () => process.HasExited);
        }
        catch (System.Net.Sockets.SocketException)
        {
            var exited = process.HasExited;
            await gateway.DisposeAsync();
            throw exited && gateway.Output.Contains("in use", StringComparison.OrdinalIgnoreCase)
                ? new PortTakenException(gateway.Output)
                : new InvalidOperationException($"gateway did not start listening: {gateway.Output}");
        }

        return gateway;
    }

    /// <summary>A POSIX signal by name (TERM, KILL), as an init system or an operator sends it.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    public bool HasExited => _process.HasExited;

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>The gateway process exited because its listen port was taken meanwhile.</summary>
internal sealed class PortTakenException(string output) : Exception(output);
