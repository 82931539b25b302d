using Gateway.Core.Pyzor;

namespace Gateway.IntegrationTests.Support;

/// <summary>A real pyzord (Debian's pyzor package, gdbm store) on a free loopback UDP port, ready once it answers a check.</summary>
internal sealed class PyzordServer : IAsyncDisposable
{
    private readonly LoopbackDaemon _daemon;
    private readonly string _home;

    private PyzordServer(LoopbackDaemon daemon, string home)
    {
        _daemon = daemon;
        _home = home;
    }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, _daemon.Port);

    public PyzorClient Client(TimeSpan? timeout = null) => new(EndPoint, timeout ?? TimeSpan.FromSeconds(3));

    public static async Task<PyzordServer> StartAsync()
    {
        var home = Directory.CreateTempSubdirectory("pyzord-").FullName;
        var port = FreePort.NextUdp();
        var daemon = await LoopbackDaemon.StartAsync(
            "/usr/bin/pyzord",
            ["--homedir", home, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "gdbm", "--dsn", Path.Combine(home, "digests.db")],
            port,
            TimeSpan.FromSeconds(15),
            "Debian's pyzor and python3-gdbm",
            ready: async () =>
            {
                try
                {
                    await new PyzorClient(new IPEndPoint(IPAddress.Loopback, port), TimeSpan.FromMilliseconds(300)).CheckAsync(new string('0', 40), CancellationToken.None);
                    return true;
                }
                catch (TimeoutException)
                {
                    return false;
                }
            });
        return new PyzordServer(daemon, home);
    }

    public async ValueTask DisposeAsync()
    {
        await _daemon.DisposeAsync();
        Directory.Delete(_home, recursive: true);
    }
}
