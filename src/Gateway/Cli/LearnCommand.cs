using System.Globalization;
using Gateway.Core.Learning;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway learn --imap imaps://HOST --user U --junk Junk --inbox INBOX [--store data/learning]</c>:
/// collects the labels users gave by moving mail into or out of Junk into the training store, for
/// <c>gateway train --learned DIR</c>. The password comes from --password-file or GATEWAY_IMAP_PASSWORD,
/// never from the command line (where ps would show it).
/// </summary>
internal static class LearnCommand
{
    private static readonly HashSet<string> ValueOptions = ["--imap", "--user", "--password-file", "--junk", "--inbox", "--store", "--max-per-sender", "--since-days"];

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, ValueOptions, new HashSet<string>());
        if (parsed.Value("--imap") is not { } imap || !Uri.TryCreate(imap, UriKind.Absolute, out var server) || server.Scheme is not ("imap" or "imaps"))
        {
            throw new UsageException("learn needs --imap imaps://HOST[:PORT] (or imap:// for STARTTLS or a loopback test server)");
        }

        var user = parsed.Value("--user") ?? throw new UsageException("learn needs --user NAME");
        var password = parsed.Value("--password-file") is { } file
            ? (await File.ReadAllTextAsync(file, cancellationToken)).TrimEnd('\r', '\n')
            : Environment.GetEnvironmentVariable("GATEWAY_IMAP_PASSWORD") ?? throw new UsageException("learn needs --password-file FILE or GATEWAY_IMAP_PASSWORD");
        var maxPerSender = Number(parsed, "--max-per-sender") ?? 20;
        TimeSpan? since = Number(parsed, "--since-days") is { } days ? TimeSpan.FromDays(days) : null;
        var store = new TrainingStore(parsed.Value("--store") ?? Path.Combine("data", "learning"), maxPerSender);

        CollectionReport report;
        try
        {
            report = await new ImapCollector(store).CollectAsync(server, user, password, parsed.Value("--junk") ?? "Junk", parsed.Value("--inbox") ?? "INBOX", since, cancellationToken);
        }
        catch (Exception exception) when (exception is MailKit.Security.AuthenticationException or MailKit.Net.Imap.ImapCommandException or MailKit.Net.Imap.ImapProtocolException or MailKit.FolderNotFoundException or System.Net.Sockets.SocketException or MailKit.Security.SslHandshakeException)
        {
            // IOException and its kin are one line with exit 1 in Program; these are MailKit's own.
            throw new IOException($"IMAP {server.Host}: {exception.Message}", exception);
        }

        await output.WriteLineAsync($"spam (from Junk): {Describe(report.Spam)}");
        await output.WriteLineAsync($"ham (read or marked not junk in the inbox): {Describe(report.Ham)}");
        await output.WriteLineAsync($"store {store.Folder}: {store.CountOf(isSpam: false)} ham, {store.CountOf(isSpam: true)} spam; train with: gateway train --ham DIR --spam DIR --learned {store.Folder}");
        return 0;
    }

    private static int? Number(Arguments parsed, string option) => parsed.Value(option) switch
    {
        null => null,
        var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) => number,
        var text => throw new UsageException($"{option}: '{text}' is not a number"),
    };

    private static string Describe(IReadOnlyDictionary<LearnResult, int> results) =>
        string.Join(", ", Enum.GetValues<LearnResult>().Select(result => $"{results.GetValueOrDefault(result)} {result.ToString().ToLowerInvariant()}"));
}
