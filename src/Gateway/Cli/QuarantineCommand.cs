using System.Globalization;
using System.Text.Json;
using Gateway.Core.Quarantine;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway quarantine list|show ID [--raw]|release ID|delete ID|expire</c> on the store gateway.yaml names
/// (quarantine.directory). Release relays with the original envelope to the configured downstream,
/// exactly once; its outcome and a refusal's reply are printed, and a refusal exits 1.
/// </summary>
internal static class QuarantineCommand
{
    private static readonly HashSet<string> ValueOptions = ["--config", "--since-hours"];
    private static readonly HashSet<string> FlagOptions = ["--json", "--spam", "--no-learn", "--raw"];
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions IndentedJson = new(Json) { WriteIndented = true };
    private const string Usage = "usage: gateway quarantine list|show ID [--raw]|release ID... [--no-learn]|delete ID [--spam]|expire|digest [--since-hours N] [--config FILE] [--json]";

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, ValueOptions, FlagOptions);
        var config = ConfigSource.Load(parsed.Value("--config"));
        var store = new QuarantineStore(config.Options.Quarantine.FullPath(config.Options.BaseFolder), TimeProvider.System);
        var id = parsed.Positional.Count > 1 ? parsed.Positional[1] : null;
        switch (parsed.Positional.FirstOrDefault(), id)
        {
            case ("list", null):
                var entries = store.List();
                foreach (var entry in entries)
                {
                    await output.WriteLineAsync(parsed.Has("--json") ? TerminalText.EscapeJson(JsonSerializer.Serialize(entry, Json)) : Line(entry));
                }

                if (entries.Count == 0 && !parsed.Has("--json"))
                {
                    // Said, so an empty list from the wrong folder (no --config: ./data/quarantine) is not mistaken for an empty quarantine.
                    await output.WriteLineAsync($"no messages held in {store.Folder} ({config.DisplayName})");
                }

                return 0;
            case ("show", { } shown):
                var found = store.Find(shown) ?? throw new UsageException($"no quarantined message '{shown}'");
                await output.WriteLineAsync(TerminalText.EscapeJson(JsonSerializer.Serialize(found, IndentedJson)));
                var raw = System.Text.Encoding.UTF8.GetString(store.ReadMessage(shown) ?? []);
                // The message as stored goes to a pipe (a file, a mail client) or with --raw; a terminal gets it
                // with its control characters made visible, since a sender wrote them.
                await output.WriteLineAsync(parsed.Has("--raw") || !ToTerminal(output) ? raw : TerminalText.EscapeKeepingLines(raw));
                return 0;
            case ("release", not null):
                return await ReleaseAllAsync(store, parsed.Positional.Skip(1).Distinct().ToList(), config, !parsed.Has("--no-learn"), output, cancellationToken);
            case ("delete", { } deleted):
                var deletedBytes = store.ReadMessage(deleted);
                if (!store.Delete(deleted))
                {
                    throw new UsageException($"no quarantined message '{deleted}'");
                }

                await output.WriteLineAsync($"{deleted}: deleted");
                if (parsed.Has("--spam") && deletedBytes is not null)
                {
                    await LearnAsync(config, deletedBytes, isSpam: true, deleted, output, cancellationToken);
                }

                return 0;
            case ("digest", null):
                return await DigestAsync(store, config, parsed, output, cancellationToken);
            case ("expire", null):
                var count = store.Expire(config.Options.Quarantine.Retention);
                await output.WriteLineAsync($"{count} messages older than {config.Options.Quarantine.Retention.TotalDays:0.##} days deleted");
                return 0;
            default:
                throw new UsageException(Usage);
        }
    }

    /// <summary>
    /// A release is the operator saying "this was ham", a delete --spam "this was spam": both teach the site
    /// model (source "quarantine"). The release or delete already happened, so a learning failure is a
    /// warning line, not a failed command.
    /// </summary>
    private static async Task LearnAsync(ConfigSource config, byte[] raw, bool isSpam, string id, TextWriter output, CancellationToken cancellationToken)
    {
        if (!config.Options.Learning.Enabled)
        {
            return;
        }

        try
        {
            await using var site = await SiteLearningClient.ConnectAsync(config.Options);
            var outcome = await site.LearnAsync(raw, isSpam, "quarantine", "quarantine", noCaps: false, cancellationToken);
            await output.WriteLineAsync($"{id}: learned as {(isSpam ? "spam" : "ham")}: {Core.Learning.LearnOutcomes.Word(outcome)}");
        }
        catch (Exception exception) when (exception is IOException or UsageException)
        {
            await output.WriteLineAsync($"{id}: not learned: {exception.Message}");
        }
    }

    /// <summary>
    /// Releases each ID in turn (one line each), learning each released message as ham unless told not to.
    /// Exit 0 when all went; 1 when the downstream kept one in quarantine; IDs that are not (or no longer)
    /// there are named together at the end, exit 2 — another pod may just have released them.
    /// </summary>
    private static async Task<int> ReleaseAllAsync(QuarantineStore store, IReadOnlyList<string> ids, ConfigSource config, bool learn, TextWriter output, CancellationToken cancellationToken)
    {
        using var loggerFactory = Logging.Create();
        await using var downstream = DownstreamFactory.Create(config.Options, loggerFactory);
        var exitCode = 0;
        var missing = new List<string>();
        foreach (var id in ids)
        {
            var message = store.ReadMessage(id);
            var outcome = await store.ReleaseAsync(id, downstream, cancellationToken);
            switch (outcome.Result)
            {
                case ReleaseResult.Released:
                    await output.WriteLineAsync(TerminalText.Escape(outcome.Describe(id)));
                    if (learn && message is not null)
                    {
                        await LearnAsync(config, message, isSpam: false, id, output, cancellationToken);
                    }

                    break;
                case ReleaseResult.NotFound:
                    missing.Add(id);
                    break;
                default:
                    await output.WriteLineAsync(TerminalText.Escape(outcome.Describe(id)));
                    exitCode = 1;
                    break;
            }
        }

        return missing.Count == 0
            ? exitCode
            : throw new UsageException($"no quarantined message {string.Join(", ", missing.Select(id => $"'{id}'"))} (already released or deleted?)");
    }

    /// <summary>One message per recipient with mail held in the last --since-hours (24), through the downstream.</summary>
    private static async Task<int> DigestAsync(QuarantineStore store, ConfigSource config, Arguments parsed, TextWriter output, CancellationToken cancellationToken)
    {
        var hours = parsed.Value("--since-hours") is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new UsageException($"--since-hours: '{text}' is not a number")
            : 24;
        var options = config.Options;
        // With the console on, each digest carries its recipient's own signed link to their held mail.
        var links = options.Web.IsEnabled ? Web.RecipientLinks.For(options) : null;
        var digest = new QuarantineDigest(store, options.Quarantine.DigestFrom ?? $"postmaster@{options.Hostname}", options.Hostname, links is null ? null : links.LinkFor);
        using var loggerFactory = Logging.Create();
        await using var downstream = DownstreamFactory.Create(options, loggerFactory);
        var sent = await digest.SendAsync(downstream, DateTimeOffset.UtcNow.AddHours(-hours), cancellationToken);
        await output.WriteLineAsync(TerminalText.Escape($"digest sent to {sent.Count} recipient(s){(sent.Count > 0 ? ": " + string.Join(", ", sent) : string.Empty)}"));
        return 0;
    }

    private static bool ToTerminal(TextWriter output) => output == Console.Out && !Console.IsOutputRedirected;

    private static string Line(QuarantineEntry entry) => TerminalText.Escape(string.Create(
        CultureInfo.InvariantCulture,
        $"{entry.Id}{(entry.Releasing ? " (releasing)" : string.Empty)}  {entry.ReceivedAt:yyyy-MM-dd HH:mm}  score={entry.Score:0.00}  from=<{entry.MailFrom}>  to={string.Join(',', entry.Recipients)}  subject={entry.Subject}  symbols={string.Join(',', entry.Symbols.Where(symbol => symbol.Score > 0).OrderByDescending(symbol => symbol.Score).Take(5).Select(symbol => symbol.Name))}"));
}
