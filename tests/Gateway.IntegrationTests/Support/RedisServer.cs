using System.Diagnostics;

namespace Gateway.IntegrationTests.Support;

/// <summary>A real redis-server (Debian's) on a free loopback port, in memory only, for one test.</summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string EndPoint => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        // A port free a moment ago may be taken before redis binds it: it exits, and we try another.
        return await FreePort.RetryIfTakenAsync(TryStartAsync, exception => exception is System.Net.Sockets.SocketException);
    }

    private static async Task<RedisServer> TryStartAsync()
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo("redis-server", ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (is Debian's redis-server installed?)");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port);
        try
        {
            await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(10), () => process.HasExited);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Kills it as a crash would (SIGKILL).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
