using System.Diagnostics;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// Postfix's smtp-sink on a loopback port, dumping every transaction into its own file (-d). The tests need
/// it installed (Debian package postfix; .ci/run installs it) and fail, not skip, without it.
/// </summary>
internal sealed class SmtpSink : IAsyncDisposable
{
    private const string Binary = "/usr/sbin/smtp-sink";
    private readonly Process _process;

    private SmtpSink(Process process, int port, string folder)
    {
        _process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        Folder = folder;
    }

    public IPEndPoint EndPoint { get; }

    public string Folder { get; }

    public static async Task<SmtpSink> StartAsync(params string[] extraArguments)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException($"{Binary} is missing: install Debian's postfix package (see .ci/run)");
        }

        var folder = Directory.CreateTempSubdirectory("smtp-sink-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        var port = FreePort.Next();
        var start = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true };
        if (Environment.UserName == "root")
        {
            // smtp-sink refuses to run as root without dropping privileges.
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("nobody");
        }

        foreach (var argument in extraArguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("-d");
        start.ArgumentList.Add(Path.Combine(folder, "%Y%m%d%H%M%S."));
        start.ArgumentList.Add($"127.0.0.1:{port}");
        start.ArgumentList.Add("256");
        var process = Process.Start(start)!;
        await FreePort.WaitUntilListeningAsync(port, TimeSpan.FromSeconds(10));
        return new SmtpSink(process, port, folder);
    }

    /// <summary>The transactions dumped so far.</summary>
    public IReadOnlyList<SinkMessage> Messages() =>
        [.. Directory.EnumerateFiles(Folder).Order(StringComparer.Ordinal).Select(file => SinkMessage.Parse(File.ReadAllText(file, Encoding.UTF8)))];

    /// <summary>
    /// Waits for <paramref name="count"/> dumps that smtp-sink has finished writing: it creates a dump at MAIL and
    /// appends the message as it arrives, and Postfix relays to it after its own client heard 250, so a dump
    /// that exists may still be half written (a test once read one cut off mid-header). A dump untouched for
    /// half a second is taken as complete.
    /// </summary>
    public async Task<IReadOnlyList<SinkMessage>> WaitForMessagesAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var files = Directory.EnumerateFiles(Folder).Select(file => new FileInfo(file)).ToList();
            var settled = files.Count >= count && files.All(file => DateTime.UtcNow - file.LastWriteTimeUtc > TimeSpan.FromMilliseconds(500));
            if (settled || DateTime.UtcNow > deadline)
            {
                return Messages();
            }

            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
        return ValueTask.CompletedTask;
    }

    /// <summary>One dump: smtp-sink's X-Mail-Args/X-Rcpt-Args lines, then the message with LF line endings.</summary>
    public sealed record SinkMessage(string MailFrom, IReadOnlyList<string> Recipients, string Message)
    {
        public static SinkMessage Parse(string dump)
        {
            var from = string.Empty;
            var recipients = new List<string>();
            var lines = dump.Split('\n');
            var index = 0;
            for (; index < lines.Length && lines[index].StartsWith("X-", StringComparison.Ordinal); index++)
            {
                var line = lines[index];
                if (line.StartsWith("X-Mail-Args: ", StringComparison.Ordinal))
                {
                    from = line["X-Mail-Args: ".Length..].Split(' ')[0].Trim('<', '>');
                }
                else if (line.StartsWith("X-Rcpt-Args: ", StringComparison.Ordinal))
                {
                    recipients.Add(line["X-Rcpt-Args: ".Length..].Split(' ')[0].Trim('<', '>'));
                }
            }

            return new SinkMessage(from, recipients, string.Join('\n', lines[index..]));
        }
    }
}
