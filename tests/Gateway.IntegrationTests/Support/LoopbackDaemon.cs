using System.Diagnostics;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A real server program (redis-server, clamd) in the foreground on a loopback port for one test: started
/// with its output drained, ready once the port listens, killed as a crash would (SIGKILL) at the end.
/// </summary>
internal sealed class LoopbackDaemon : IAsyncDisposable
{
    private readonly Process _process;

    private LoopbackDaemon(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <param name="missing">What to tell when the program is not there (which Debian package has it).</param>
    /// <param name="ready">For a server that does not listen on TCP (pyzord: UDP): asked until it says yes; null: the port listening is ready.</param>
    public static async Task<LoopbackDaemon> StartAsync(string program, IEnumerable<string> arguments, int port, TimeSpan startup, string missing, Func<Task<bool>>? ready = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start ({missing})");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var daemon = new LoopbackDaemon(process, port);
        try
        {
            if (ready is null)
            {
                await FreePort.WaitUntilListeningAsync(port, startup, () => process.HasExited);
            }
            else
            {
                var deadline = DateTime.UtcNow + startup;
                while (!await ready())
                {
                    if (process.HasExited || DateTime.UtcNow > deadline)
                    {
                        throw new InvalidOperationException($"{program} did not become ready on port {port} within {startup.TotalSeconds:0} s ({missing})");
                    }
                }
            }
        }
        catch
        {
            await daemon.DisposeAsync();
            throw;
        }

        return daemon;
    }

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
