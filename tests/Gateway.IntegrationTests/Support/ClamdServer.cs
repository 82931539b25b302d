namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A real clamd (Debian's clamav-daemon) on a free loopback port, offline: its database folder holds one
/// signature of ours (<see cref="Marker"/>), so it starts in about a second and never needs freshclam.
/// </summary>
internal sealed class ClamdServer : IAsyncDisposable
{
    /// <summary>Bytes our test signature matches; a fixture that carries them is "malware".</summary>
    public const string Marker = "GATEWAY-TEST-MALWARE-7d41c0e5-not-a-real-virus";

    public const string SignatureName = "Gateway.Test.Marker";

    private readonly LoopbackDaemon _daemon;

    private ClamdServer(LoopbackDaemon daemon) => _daemon = daemon;

    public int Port => _daemon.Port;

    public string EndPoint => $"127.0.0.1:{Port}";

    public static Task<ClamdServer> StartAsync() =>
        FreePort.RetryIfTakenAsync(TryStartAsync, exception => exception is System.Net.Sockets.SocketException);

    private static async Task<ClamdServer> TryStartAsync()
    {
        var port = FreePort.Next();
        var folder = Directory.CreateTempSubdirectory("clamd-").FullName;
        var database = Directory.CreateDirectory(Path.Combine(folder, "db")).FullName;
        File.WriteAllText(Path.Combine(database, "gateway-test.ndb"), $"{SignatureName}:0:*:{Convert.ToHexStringLower(Encoding.ASCII.GetBytes(Marker))}\n");
        var config = Path.Combine(folder, "clamd.conf");
        File.WriteAllText(config, $"""
            Foreground yes
            TCPSocket {port}
            TCPAddr 127.0.0.1
            DatabaseDirectory {database}
            TemporaryDirectory {folder}
            LogFile {Path.Combine(folder, "clamd.log")}
            IdleTimeout 30
            """);
        return new ClamdServer(await LoopbackDaemon.StartAsync("clamd", ["--config-file", config], port, TimeSpan.FromSeconds(60), "is Debian's clamav-daemon installed?"));
    }

    public ValueTask DisposeAsync() => _daemon.DisposeAsync();
}
