using System.Diagnostics;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A real Postfix (Debian's package; .ci/run installs it) as the downstream mailbox server, configured as
/// sites run it behind a gateway: the gateway's address in mynetworks, our domain in mydestination, the
/// percent hack and routing on as Postfix ships them. Everything it delivers — locally or relayed to any
/// other domain — goes to <paramref name="next"/> (a smtp-sink), so a test sees where Postfix would have
/// sent each recipient. Runs as its own instance (postfix -c) on a loopback port; needs root.
/// </summary>
internal sealed class PostfixServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly Process _master;

    private PostfixServer(string folder, Process master, int port)
    {
        _folder = folder;
        _master = master;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public IPEndPoint EndPoint { get; }

    public string Log => File.Exists(Path.Combine(_folder, "maillog")) ? File.ReadAllText(Path.Combine(_folder, "maillog")) : string.Empty;

    /// <param name="knownUsers">Local parts of example.test that exist; null: every one does (local_recipient_maps empty).</param>
    public static async Task<PostfixServer> StartAsync(IPEndPoint next, IReadOnlyList<string>? knownUsers = null)
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/sbin/postfix"))
        {
            throw new InvalidOperationException("a Postfix instance needs root and Debian's postfix package (see .ci/run)");
        }

        var folder = Directory.CreateTempSubdirectory("postfix-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101); // the daemons run as postfix and must reach their queue
        var etc = Directory.CreateDirectory(Path.Combine(folder, "etc")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(folder, "data")).FullName;
        Directory.CreateDirectory(Path.Combine(folder, "queue"));
        await RunAsync("chown", "postfix", data);
        var port = FreePort.Next();
        var relay = $"[{next.Address}]:{next.Port}";
        await File.WriteAllTextAsync(Path.Combine(etc, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {folder}/queue
            data_directory = {data}
            mail_owner = postfix
            setgid_group = postdrop
            maillog_file = {folder}/maillog
            maillog_file_prefixes = {folder}
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            myhostname = mailbox.example.test
            mydomain = example.test
            myorigin = example.test
            mydestination = example.test
            local_recipient_maps = {(knownUsers is null ? string.Empty : "inline:{" + string.Join(", ", knownUsers.Select(user => user + "=ok")) + "}")}
            mynetworks = 127.0.0.0/8
            smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
            local_transport = smtp:{relay}
            relayhost = {relay}
            smtp_tls_security_level = none
            biff = no
            """);
        // Debian's master.cf, with smtpd on our port and no service chrooted (the queue is ours, not /var/spool).
        var master = (await File.ReadAllLinesAsync("/etc/postfix/master.cf")).Select(line =>
        {
            var fields = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (line.Length == 0 || line[0] is '#' or ' ' or '\t' || fields.Length < 8)
            {
                return line;
            }

            if (fields[0] == "smtp" && fields[1] == "inet")
            {
                return $"127.0.0.1:{port} inet n - n - - smtpd";
            }

            fields[4] = "n";
            return string.Join(' ', fields);
        });
        await File.WriteAllLinesAsync(Path.Combine(etc, "master.cf"), master);

        var start = new ProcessStartInfo("/usr/sbin/postfix", ["-c", etc, "start-fg"]) { RedirectStandardError = true, RedirectStandardOutput = true };
        var process = Process.Start(start)!;
        var server = new PostfixServer(folder, process, port);
        try
        {
            await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(30), () => process.HasExited);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or TimeoutException)
        {
            var log = server.Log + (process.HasExited ? await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync() : string.Empty);
            await server.DisposeAsync();
            throw new InvalidOperationException($"Postfix did not start: {log}");
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("/usr/sbin/postfix", "-c", Path.Combine(_folder, "etc"), "stop");
        if (!_master.HasExited)
        {
            _master.Kill(entireProcessTree: true);
        }

        await _master.WaitForExitAsync();
        _master.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A daemon still closing a queue file: the temp folder is left behind.
        }
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await process.WaitForExitAsync();
    }
}
