using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.IntegrationTests.Support;

/// <summary>The real gateway host, in-process, on a free loopback port, with the shipped rules folder.</summary>
internal sealed class TestGateway : IAsyncDisposable
{
    private readonly GatewayHost _host;
    private readonly LoopbackDnsServer? _ownDns;

    private TestGateway(GatewayHost host, GatewayOptions options, LoopbackDnsServer? ownDns)
    {
        _host = host;
        Options = options;
        _ownDns = ownDns;
    }

    public GatewayOptions Options { get; }

    public IPEndPoint EndPoint => _host.EndPoints[0];

    /// <summary>The web console's address; only with web.listen set.</summary>
    public IPEndPoint WebEndPoint => _host.Web?.EndPoint ?? throw new InvalidOperationException("the web console is off (web.listen)");

    public static GatewayOptions DefaultOptions(IPEndPoint? downstream) => new()
    {
        Hostname = "gateway.example.test",
        Listen = ["127.0.0.1:0"],
        Domains = ["example.test"],
        Downstream = downstream is null
            ? new DownstreamOptions { Directory = Directory.CreateTempSubdirectory("delivered-").FullName }
            : new DownstreamOptions { Host = downstream.Address.ToString(), Port = downstream.Port, Tls = DownstreamTls.None, Timeout = TimeSpan.FromSeconds(5) },
        Metrics = new MetricsOptions { Listen = string.Empty },
        History = new HistoryOptions { Enabled = false }, // on, every test's gateway would write into the test's working folder
    };

    /// <summary>
    /// Starts the gateway. DNS goes to <paramref name="dns"/>, or to an empty loopback DNS server of its own:
    /// a test never reaches the machine's resolver.
    /// </summary>
    public static async Task<TestGateway> StartAsync(
        IPEndPoint? downstream,
        Func<GatewayOptions, GatewayOptions>? configure = null,
        string? rulesFolder = null,
        IReadOnlyList<IMessageCheck>? checks = null,
        LoopbackDnsServer? dns = null,
        bool offline = false,
        Gateway.Smtp.Phases.IRecipientCheck? recipientCheck = null)
    {
        var ownDns = dns is null ? await LoopbackDnsServer.StartAsync() : null;
        var options = DefaultOptions(downstream) with { Dns = (dns ?? ownDns!).Options() };
        options = configure?.Invoke(options) ?? options;
        var host = await GatewayHost.StartAsync(options, rulesFolder ?? RepositoryRoot.Rules, NullLoggerFactory.Instance, CancellationToken.None, checks, offline, recipientCheck);
        return new TestGateway(host, options, ownDns);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        if (_ownDns is not null)
        {
            await _ownDns.DisposeAsync();
        }
    }
}
