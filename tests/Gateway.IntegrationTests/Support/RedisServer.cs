namespace Gateway.IntegrationTests.Support;

/// <summary>A real redis-server (Debian's) on a free loopback port, in memory only, for one test.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly LoopbackDaemon _daemon;

    private RedisServer(LoopbackDaemon daemon) => _daemon = daemon;

    public int Port => _daemon.Port;

    public string EndPoint => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        // A port free a moment ago may be taken before redis binds it: it exits, and we try another.
        return await FreePort.RetryIfTakenAsync(TryStartAsync, exception => exception is System.Net.Sockets.SocketException);
    }

    private static async Task<RedisServer> TryStartAsync()
    {
        var port = FreePort.Next();
        return new RedisServer(await LoopbackDaemon.StartAsync(
            "redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
            port,
            TimeSpan.FromSeconds(10),
            "is Debian's redis-server installed?"));
    }

    /// <summary>Kills it as a crash would (SIGKILL).</summary>
    public Task KillAsync() => _daemon.KillAsync();

    public ValueTask DisposeAsync() => _daemon.DisposeAsync();
}
