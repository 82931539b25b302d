using System.Globalization;
using System.Text.Json;
using Gateway.Core.History;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway history [--from ADDR] [--to ADDR] [--message-id ID] [--since 2h|TIME] [--until TIME] [--limit N] [--json]</c>:
/// "where is my mail?" from the journals in history.directory (every instance's, on a shared volume) or Redis's list (history.store: redis), newest first.
/// </summary>
internal static class HistoryCommand
{
    private static readonly HashSet<string> ValueOptions = ["--config", "--from", "--to", "--message-id", "--since", "--until", "--limit"];
    private static readonly HashSet<string> FlagOptions = ["--json"];

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output, TimeProvider time)
    {
        var parsed = Arguments.Parse(args, ValueOptions, FlagOptions);
        if (parsed.Positional.Count > 0)
        {
            throw new UsageException($"history takes no '{parsed.Positional[0]}' (try 'gateway history --help')");
        }

        var config = ConfigSource.Load(parsed.Value("--config"));
        if (!config.Options.History.Enabled)
        {
            throw new UsageException($"the history is off in {config.DisplayName} (history.enabled: false)");
        }

        var now = time.GetUtcNow();
        var query = new HistoryQuery(
            parsed.Value("--from"),
            parsed.Value("--to"),
            parsed.Value("--message-id"),
            parsed.Value("--since") is { } since ? When(since, now, "--since") : null,
            parsed.Value("--until") is { } until ? When(until, now, "--until") : null,
            parsed.Value("--limit") is { } limit ? (int.TryParse(limit, CultureInfo.InvariantCulture, out var count) && count > 0 ? count : throw new UsageException($"--limit '{limit}' is not a positive number")) : 50);
        var options = config.Options;
        await using var state = options.History.Store == Core.Configuration.SharedStore.Redis ? await Core.State.StateStores.CreateAsync(options.State, TimeProvider.System) : null;
        var redisHistory = state is Core.State.RedisStateStore redis ? new RedisHistory(redis.Connection, options.State.KeyPrefix, options.History.Size) : null;
        var (entries, where) = redisHistory is not null
            ? (await redisHistory.FindAsync(query, CancellationToken.None), redisHistory.Where)
            : (HistorySearch.Find(options.History.FullPath(options.BaseFolder), query), options.History.FullPath(options.BaseFolder));
        foreach (var entry in entries)
        {
            await output.WriteLineAsync(parsed.Has("--json") ? TerminalText.EscapeJson(JsonSerializer.Serialize(entry, HistoryJournal.Json)) : TerminalText.Escape(Line(entry)));
        }

        if (entries.Count == 0 && !parsed.Has("--json"))
        {
            await output.WriteLineAsync($"nothing found in {where} ({config.DisplayName})");
        }

        return 0;
    }

    /// <summary>A duration back from now (30m, 2h, 7d) or a time (2026-12-07T10:00Z, 2026-12-07).</summary>
    private static DateTimeOffset When(string text, DateTimeOffset now, string option)
    {
        if (Core.Configuration.DurationConverter.TryParse(text, out var back))
        {
            return now - back; // gateway.yaml's durations: 30m, 2h, 7d
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : throw new UsageException($"{option} '{text}' is neither a duration (30m, 2h, 7d) nor a time (2026-12-07T10:00Z)");
    }

    private static string Line(HistoryEntry entry)
    {
        var verdict = entry.Action == "refused" ? $"refused at {entry.Stage.ToUpperInvariant()}" : $"{entry.Action} {entry.Score?.ToString("0.00", CultureInfo.InvariantCulture)}";
        var message = entry.Stage == "data" && entry.Action != "refused" ? $" \"{entry.Subject}\"{(entry.MessageId is { } id ? $" <{id}>" : string.Empty)} id={entry.QueueId}" : string.Empty;
        return $"{entry.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z [{entry.Client}] <{entry.From}> -> {string.Join(',', entry.Recipients.Select(recipient => $"<{recipient}>"))}: {verdict}{message}; told \"{entry.Reply}\"";
    }
}
