using System.Diagnostics;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A real Dovecot IMAP server (Debian's dovecot-imapd) on a free loopback port, plaintext (loopback
/// only), one user with a password, maildir storage in a temporary folder and a Junk folder.
/// Runs as root, as CI does; the mail belongs to nobody (Dovecot refuses mail access as root).
/// </summary>
internal sealed class DovecotServer : IAsyncDisposable
{
    public const string User = "alice";
    public const string Password = "correct horse";

    private readonly Process _process;

    private DovecotServer(Process process, int port, string folder)
    {
        _process = process;
        Port = port;
        Folder = folder;
    }

    public int Port { get; }

    public string Folder { get; }

    public Uri Uri => new($"imap://127.0.0.1:{Port}");

    public static async Task<DovecotServer> StartAsync()
    {
        // A port free a moment ago may be taken before Dovecot binds it: it exits, and we try another.
        return await FreePort.RetryIfTakenAsync(TryStartAsync, exception => exception is InvalidOperationException);
    }

    private static async Task<DovecotServer> TryStartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("dovecot-").FullName;
        // Dovecot's auth worker runs as the dovecot user and must reach the users file.
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var mail = Path.Combine(folder, "mail");
        Directory.CreateDirectory(mail);
        using (var chown = Process.Start("chown", ["nobody:nogroup", mail])!)
        {
            await chown.WaitForExitAsync();
        }

        var port = FreePort.Next();
        File.WriteAllText(Path.Combine(folder, "users"), $"{User}:{{PLAIN}}{Password}\n");
        File.WriteAllText(Path.Combine(folder, "dovecot.conf"), $$"""
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{folder}}/run
            state_dir = {{folder}}/state
            log_path = {{folder}}/dovecot.log
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain
            mail_location = maildir:{{mail}}/%u
            passdb {
              driver = passwd-file
              args = scheme=PLAIN username_format=%u {{folder}}/users
            }
            userdb {
              driver = static
              args = uid=65534 gid=65534 home={{mail}}/%u
            }
            service imap-login {
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }
            namespace inbox {
              inbox = yes
              mailbox Junk {
                special_use = \Junk
                auto = create
              }
            }
            """);
        var process = Process.Start(new ProcessStartInfo("dovecot", ["-F", "-c", Path.Combine(folder, "dovecot.conf")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("dovecot did not start (is Debian's dovecot-imapd installed?)");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new DovecotServer(process, port, folder);
        try
        {
            await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(15), () => process.HasExited);
        }
        catch (System.Net.Sockets.SocketException)
        {
            await server.DisposeAsync();
            var log = Path.Combine(folder, "dovecot.log");
            throw new InvalidOperationException("dovecot did not listen: " + (File.Exists(log) ? File.ReadAllText(log) : "no log"));
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
