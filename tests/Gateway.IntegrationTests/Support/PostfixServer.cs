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
    private Process _master;

    private PostfixServer(string folder, Process master, int port)
    {
        _folder = folder;
        _master = master;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    /// <summary>How an instance differs from the plain one; Name makes its host name NAME.example.test (seen in Received).</summary>
    public sealed record Settings(string Name = "mailbox", IReadOnlyList<string>? KnownUsers = null, bool SmtpUtf8 = true, bool Chunking = true, string? CertificateFile = null, string? KeyFile = null);

    public IPEndPoint EndPoint { get; }

    public string Log => File.Exists(Path.Combine(_folder, "maillog")) ? File.ReadAllText(Path.Combine(_folder, "maillog")) : string.Empty;

    /// <param name="knownUsers">Local parts of example.test that exist; null: every one does (local_recipient_maps empty).</param>
    public static Task<PostfixServer> StartAsync(IPEndPoint next, IReadOnlyList<string>? knownUsers = null) =>
        StartAsync(next, new Settings(KnownUsers: knownUsers));

    public static async Task<PostfixServer> StartAsync(IPEndPoint next, Settings settings)
    {
        var knownUsers = settings.KnownUsers;
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
            myhostname = {settings.Name}.example.test
            mydomain = example.test
            myorigin = example.test
            mydestination = example.test
            local_recipient_maps = {(knownUsers is null ? string.Empty : "inline:{" + string.Join(", ", knownUsers.Select(user => user + "=ok")) + "}")}
            mynetworks = 127.0.0.0/8
            smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
            local_transport = smtp:{relay}
            relayhost = {relay}
            smtp_tls_security_level = none
            smtputf8_enable = {(settings.SmtpUtf8 ? "yes" : "no")}
            smtpd_discard_ehlo_keywords = {(settings.Chunking ? string.Empty : "chunking")}
            {(settings.CertificateFile is null ? string.Empty : $"smtpd_tls_cert_file = {settings.CertificateFile}\nsmtpd_tls_key_file = {settings.KeyFile}\nsmtpd_tls_security_level = may\nsmtpd_tls_received_header = yes")}
            biff = no
            # A delivery deferred once (the next hop slow to answer on a loaded machine) is tried again within
            # seconds, not after Postfix's default 300 s backoff that no test waits for.
            queue_run_delay = 1s
            minimal_backoff_time = 1s
            maximal_backoff_time = 2s
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

        var server = new PostfixServer(folder, Launch(etc), port);
        await server.WaitUntilListeningAsync();
        return server;
    }

    /// <summary>Postfix logs a little after the fact: waits up to 10 s for a line with <paramref name="text"/>.</summary>
    public async Task WaitForLogAsync(string text)
    {
        for (var i = 0; i < 100 && !Log.Contains(text, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Stops the instance (as an outage would: its port refuses connections); what it queued stays queued.</summary>
    public async Task StopAsync()
    {
        await RunAsync("/usr/sbin/postfix", "-c", Path.Combine(_folder, "etc"), "stop");
        await _master.WaitForExitAsync();
    }

    /// <summary>Starts a stopped instance again on its port; it delivers what it queued before the stop.</summary>
    public async Task StartAgainAsync()
    {
        _master.Dispose();
        _master = Launch(Path.Combine(_folder, "etc"));
        await WaitUntilListeningAsync();
        await RunAsync("/usr/sbin/postfix", "-c", Path.Combine(_folder, "etc"), "flush");
    }

    private static Process Launch(string etc) =>
        Process.Start(new ProcessStartInfo("/usr/sbin/postfix", ["-c", etc, "start-fg"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;

    private async Task WaitUntilListeningAsync()
    {
        var process = _master;
        try
        {
            await FreePort.WaitUntilListeningAsync(EndPoint.Port, TimeSpan.FromSeconds(30), () => process.HasExited);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or TimeoutException)
        {
            var log = Log + (process.HasExited ? await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync() : string.Empty);
            await DisposeAsync();
            throw new InvalidOperationException($"Postfix did not start: {log}");
        }
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
