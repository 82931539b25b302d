using System.Diagnostics;
using Gateway.Core.Pyzor;

namespace Gateway.IntegrationTests.Support;

/// <summary>A real pyzord (Debian's pyzor package, gdbm store) on a free loopback UDP port, ready once it answers a check.</summary>
internal sealed class PyzordServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _home;

    private PyzordServer(Process process, string home, IPEndPoint endPoint)
    {
        _process = process;
        _home = home;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public PyzorClient Client(TimeSpan? timeout = null) => new(EndPoint, timeout ?? TimeSpan.FromSeconds(3));

    public static async Task<PyzordServer> StartAsync()
    {
        var home = Directory.CreateTempSubdirectory("pyzord-").FullName;
        var port = FreePort.NextUdp();
        var start = new ProcessStartInfo("/usr/bin/pyzord", ["--homedir", home, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "gdbm", "--dsn", Path.Combine(home, "digests.db")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("pyzord did not start (Debian's pyzor and python3-gdbm)");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new PyzordServer(process, home, new IPEndPoint(IPAddress.Loopback, port));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            try
            {
                await server.Client(TimeSpan.FromMilliseconds(300)).CheckAsync(new string('0', 40), CancellationToken.None);
                return server;
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
            }
            catch (Exception)
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_home, recursive: true);
    }
}
