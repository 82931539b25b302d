using System.Globalization;
using Gateway.Core.Configuration;
using Gateway.Core.Corpus;
using Gateway.Core.Learning;

namespace Gateway.Cli;

/// <summary>
/// Site learning from the command line, against the configured state store (see <see cref="SiteLearningClient"/>):
/// <list type="bullet">
/// <item><c>gateway learn spam|ham [--source NAME] [--no-caps] PATH...</c>: files, directories, mbox (like <c>rspamc learn_spam</c>);</item>
/// <item><c>gateway learn imap</c>: every mailbox in learning.imap; <c>gateway learn --imap URL --user U ...</c>: one mailbox;</item>
/// <item><c>gateway learn stats [--json]</c> and <c>gateway learn forget --source NAME | --domain NAME</c>.</item>
/// </list>
/// IMAP passwords come from a file or GATEWAY_IMAP_PASSWORD, never the command line (where ps would show them).
/// </summary>
internal static class LearnCommand
{
    private static readonly HashSet<string> ValueOptions = ["--config", "--source", "--domain", "--fuzzy", "--imap", "--user", "--password-file", "--junk", "--inbox", "--store", "--max-per-sender", "--since-days"];
    private static readonly HashSet<string> FlagOptions = ["--no-caps", "--json"];

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, ValueOptions, FlagOptions);
        var config = ConfigSource.Load(parsed.Value("--config"));
        var verb = parsed.Has("--imap") ? "imap" : parsed.Positional.FirstOrDefault();
        await using var site = await SiteLearningClient.ConnectAsync(config.Options);
        switch (verb)
        {
            case "spam" or "ham":
                return await LearnFilesAsync(site, verb == "spam", parsed, output, error, cancellationToken, verb == "spam" ? Core.Pyzor.PyzorClient.For(config.Options.Pyzor) : []);
            case "imap":
                return await CollectImapAsync(site, config, parsed, output, cancellationToken);
            case "stats":
                return await StatsAsync(site, parsed.Has("--json"), output, cancellationToken);
            case "forget" when parsed.Value("--fuzzy") is { } fuzzyClass:
                return await ForgetFuzzyAsync(site, fuzzyClass, parsed, output, cancellationToken);
            case "forget":
                var (name, byDomain) = parsed.Value("--domain") is { } domain ? (domain, true) : (parsed.Value("--source") ?? throw new UsageException("learn forget needs --source NAME or --domain NAME"), false);
                await output.WriteLineAsync($"{await site.ForgetAsync(name, byDomain, cancellationToken)} messages unlearned ({(byDomain ? "sender domain" : "source")} {name})");
                return 0;
            default:
                throw new UsageException("learn needs spam|ham PATH..., imap, stats or forget (try 'gateway --help')");
        }
    }

    /// <summary><c>gateway learn forget --fuzzy spam|ham PATH...</c>: each message's fuzzy hashes' learning as that class taken back.</summary>
    private static async Task<int> ForgetFuzzyAsync(SiteLearningClient site, string fuzzyClass, Arguments parsed, TextWriter output, CancellationToken cancellationToken)
    {
        if (fuzzyClass is not ("spam" or "ham"))
        {
            throw new UsageException($"learn forget --fuzzy takes spam or ham, not '{fuzzyClass}'");
        }

        var paths = parsed.Positional.Skip(1).ToList();
        if (paths.Count == 0)
        {
            throw new UsageException("learn forget --fuzzy spam|ham needs files, directories or mbox files");
        }

        var (forgotten, skipped) = (0, 0);
        foreach (var item in paths.SelectMany(MessageFiles.Enumerate))
        {
            _ = await site.ForgetFuzzyAsync(item.Raw.ToArray(), fuzzyClass == "spam", cancellationToken) ? forgotten++ : skipped++;
        }

        await output.WriteLineAsync($"fuzzy hashes learned as {fuzzyClass}: {forgotten} messages taken back, {skipped} without a fingerprint (or fuzzy off)");
        return 0;
    }

    /// <param name="pyzor">Pyzor servers to report spam to (pyzor.servers set): the operator's spam protects other sites too.</param>
    private static async Task<int> LearnFilesAsync(SiteLearningClient site, bool isSpam, Arguments parsed, TextWriter output, TextWriter error, CancellationToken cancellationToken, IReadOnlyList<Core.Pyzor.PyzorClient> pyzor)
    {
        var paths = parsed.Positional.Skip(1).ToList();
        if (paths.Count == 0)
        {
            throw new UsageException($"learn {(isSpam ? "spam" : "ham")} needs files, directories or mbox files");
        }

        var source = parsed.Value("--source") ?? "cli";
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        void Count(string outcome) => outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        var progress = new ProgressLine(error);
        foreach (var item in paths.SelectMany(MessageFiles.Enumerate))
        {
            Count(LearnOutcomes.Word(await site.LearnAsync(item.Raw.ToArray(), isSpam, source, "cli", parsed.Has("--no-caps"), cancellationToken)));
            if (pyzor.Count > 0 && Core.Pyzor.PyzorDigest.Of(MimeKit.MimeMessage.Load(new MemoryStream(item.Raw.ToArray()))) is { } digest)
            {
                foreach (var server in pyzor)
                {
                    try
                    {
                        Count((await server.ReportAsync(digest, cancellationToken)).IsOk ? "reported to pyzor" : "refused by pyzor");
                    }
                    catch (Exception exception) when (exception is TimeoutException or System.Net.Sockets.SocketException)
                    {
                        Count("pyzor did not answer");
                    }
                }
            }
            await progress.StepAsync();
        }

        await progress.WriteSummaryAsync("read", $"{outcomes.GetValueOrDefault("learned")} learned");

        await output.WriteLineAsync($"{(isSpam ? "spam" : "ham")} from {source}: {Describe(outcomes)}");
        if (outcomes.GetValueOrDefault(LearnOutcomes.Word(LearnOutcome.SourceCapped)) > 0 || outcomes.GetValueOrDefault(LearnOutcomes.Word(LearnOutcome.SenderCapped)) > 0)
        {
            // The caps count both classes together, per day: a ham import followed by a spam import from one source meets them.
            await error.WriteLineAsync($"note: the daily caps (learning.max_per_source_per_day, per source and for both classes together; learning.max_per_sender_domain_per_day) held some back; an operator's own bulk import takes --no-caps, or give each import its own --source");
        }

        return 0;
    }

    private static async Task<int> CollectImapAsync(SiteLearningClient site, ConfigSource config, Arguments parsed, TextWriter output, CancellationToken cancellationToken)
    {
        var mailboxes = parsed.Value("--imap") is { } imap
            ? [new ImapMailboxOptions
            {
                Server = imap,
                User = parsed.Value("--user") ?? throw new UsageException("learn --imap needs --user NAME"),
                PasswordFile = parsed.Value("--password-file") ?? string.Empty,
                Junk = parsed.Value("--junk") ?? "Junk",
                Inbox = parsed.Value("--inbox") ?? "INBOX",
                SinceDays = Number(parsed, "--since-days"),
            }]
            : config.Options.Learning.Imap;
        if (mailboxes.Count == 0)
        {
            throw new UsageException("no mailboxes: list them under learning.imap in gateway.yaml, or give --imap imaps://HOST --user NAME");
        }

        // Optionally also keep the files, for a full retrain (gateway train --learned DIR).
        var files = parsed.Value("--store") is { } folder ? new TrainingStore(folder, Number(parsed, "--max-per-sender") ?? 20) : null;
        foreach (var mailbox in mailboxes)
        {
            if (!Uri.TryCreate(mailbox.Server, UriKind.Absolute, out var server) || server.Scheme is not ("imap" or "imaps"))
            {
                throw new UsageException($"'{mailbox.Server}' is not imaps://HOST[:PORT] (or imap:// for STARTTLS or a loopback test server)");
            }

            var password = mailbox.PasswordFile.Length > 0
                ? (await File.ReadAllTextAsync(Path.GetFullPath(mailbox.PasswordFile, config.Options.BaseFolder), cancellationToken)).TrimEnd('\r', '\n')
                : Environment.GetEnvironmentVariable("GATEWAY_IMAP_PASSWORD") ?? throw new UsageException("learn --imap needs --password-file FILE or GATEWAY_IMAP_PASSWORD");
            var source = $"imap:{mailbox.User}@{server.Host}";
            var collector = new ImapCollector(async (raw, isSpam, token) =>
            {
                files?.Add(raw, isSpam);
                return LearnOutcomes.Word(await site.LearnAsync(raw, isSpam, source, "imap", noCaps: false, token));
            }, config.Options.Limits.MaxMessageSize);

            CollectionReport report;
            try
            {
                report = await collector.CollectAsync(server, mailbox.User, password, mailbox.Junk, mailbox.Inbox, mailbox.SinceDays is { } days ? TimeSpan.FromDays(days) : null, cancellationToken);
            }
            catch (Exception exception) when (exception is MailKit.Security.AuthenticationException or MailKit.Net.Imap.ImapCommandException or MailKit.Net.Imap.ImapProtocolException or MailKit.FolderNotFoundException or System.Net.Sockets.SocketException or MailKit.Security.SslHandshakeException)
            {
                // IOException and its kin are one line with exit 1 in Program; these are MailKit's own.
                throw new IOException($"IMAP {server.Host} ({mailbox.User}): {exception.Message}", exception);
            }

            await output.WriteLineAsync($"{source} spam (from {mailbox.Junk}): {Describe(report.Spam)}");
            await output.WriteLineAsync($"{source} ham (read or marked not junk in {mailbox.Inbox}): {Describe(report.Ham)}");
        }

        if (files is not null)
        {
            await output.WriteLineAsync($"files kept in {files.Folder}: {files.CountOf(isSpam: false)} ham, {files.CountOf(isSpam: true)} spam (for gateway train --learned {files.Folder})");
        }

        return 0;
    }

    private static async Task<int> StatsAsync(SiteLearningClient site, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var stats = await site.StatsAsync(cancellationToken);
        if (json)
        {
            // snake_case like every other JSON the command line prints; source and domain names stay as they are.
            await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(stats, new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower }));
            return 0;
        }

        await output.WriteLineAsync($"learned: {stats.SpamMessages} spam, {stats.HamMessages} ham; {stats.Tokens} tokens");
        await output.WriteLineAsync("by source:");
        foreach (var (name, count) in stats.Sources.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal))
        {
            await output.WriteLineAsync($"  {count,8}  {name}");
        }

        await output.WriteLineAsync("by sender domain (authenticated; ? = not authenticated, with its From domain), top 20:");
        foreach (var (name, count) in stats.SenderDomains.OrderByDescending(pair => pair.Value).ThenBy(pair => pair.Key, StringComparer.Ordinal).Take(20))
        {
            await output.WriteLineAsync($"  {count,8}  {name}");
        }

        return 0;
    }

    private static int? Number(Arguments parsed, string option) => parsed.Value(option) switch
    {
        null => null,
        var text when int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) => number,
        var text => throw new UsageException($"{option}: '{text}' is not a number"),
    };

    /// <summary>Every learner outcome with its count, then whatever else happened (the IMAP collector's too_large).</summary>
    private static string Describe(IReadOnlyDictionary<string, int> outcomes)
    {
        var words = Enum.GetValues<LearnOutcome>().Select(LearnOutcomes.Word).ToList();
        return string.Join(", ", words.Select(word => $"{outcomes.GetValueOrDefault(word)} {word}").Concat(outcomes.Where(pair => !words.Contains(pair.Key)).Select(pair => $"{pair.Value} {pair.Key}")));
    }
}
