using Gateway.Core.Learning;
using Gateway.Core.Scanning;
using Gateway.Core.State;
using System.Globalization;
using System.Text.Json;
using Gateway.Core.Authentication;
using Gateway.Core.Configuration;
using Gateway.Core.Corpus;
using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;
using Gateway.Core.Classification;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway check</c>: the full pipeline on files, without SMTP. One line per message, or one JSON
/// object per line with --json (the shape scripts rely on: ARCHITECTURE.md, "Command line").
/// </summary>
internal static class CheckCommand
{
    private static readonly HashSet<string> ValueOptions = ["--config", "--ip", "--helo", "--from", "--rcpt", "--explain"];
    private static readonly HashSet<string> FlagOptions = ["--offline", "--json"];
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, ValueOptions, FlagOptions);
        if (parsed.Positional.Count == 0)
        {
            throw new UsageException("check needs at least one file, directory or mbox");
        }

        var address = IPAddress.Loopback;
        if (parsed.Value("--ip") is { } ip && !IPAddress.TryParse(ip, out address))
        {
            throw new UsageException($"--ip: '{ip}' is not an IP address");
        }

        // Every verdict explained by default (what this command is for); --explain spam as `gateway run` does.
        var explain = parsed.Value("--explain") switch
        {
            null or "always" => ClassifierExplain.Always,
            "spam" => ClassifierExplain.Spam,
            var other => throw new UsageException($"--explain: '{other}' is not spam or always"),
        };
        var config = ConfigSource.Load(parsed.Value("--config"));
        var policy = ScoringPolicy.LoadFolder(config.RulesFolder);
        var dns = parsed.Has("--offline") ? null : new DnsClientResolver(config.Options.Dns);
        using var loggerFactory = Logging.Create(minimum: Microsoft.Extensions.Logging.LogLevel.Warning);
        using var models = CheckCatalog.Models(config.Options, loggerFactory);
        // Site evidence where the CLI can reach it: a shared Redis (the memory store lives in the running gateway only).
        await using var redis = config.Options.Learning.Enabled && config.Options.State.Backend == StateBackend.Redis
            ? await RedisStateStore.ConnectAsync(config.Options.State.Redis, config.Options.State.KeyPrefix, config.Options.State.Timeout)
            : null;
        var site = redis is null ? null : new SiteEvidenceCheck(SiteTokenStores.For(redis, config.Options.State), config.Options.Learning) { DependsOn = dns is null ? [] : SiteEvidenceCheck.AfterAuthentication };
        var runner = new PipelineRunner(CheckCatalog.Create(config.Options, dns, models, explain, site: site), config.Options.Limits.CheckTimeout);
        var scanner = new MessageScanner(runner, () => policy, config.Options.Limits.MaxMimeDepth);
        var envelope = new Envelope(address!, parsed.Value("--helo") ?? "localhost", parsed.Value("--from"), parsed.Value("--rcpt") is { } rcpt ? [rcpt] : []);

        var actions = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var progress = new ProgressLine(error);
        var skipped = 0;
        foreach (var path in parsed.Positional)
        {
            foreach (var item in MessageFiles.Enumerate(path))
            {
                if (item.IsBinary)
                {
                    await error.WriteLineAsync($"{TerminalText.Escape(item.Name)}: skipped: not a message (binary content)");
                    skipped++;
                    continue;
                }

                var scan = await scanner.ScanAsync("check", envelope, item.Raw, cancellationToken);
                // Details quote the message (a Subject, link text, a file name): escaped for the terminal.
                await output.WriteLineAsync(parsed.Has("--json") ? TerminalText.EscapeJson(ToJson(item.Name, scan)) : TerminalText.EscapeKeepingLines(parsed.Has("--explain") ? Report(item.Name, scan) : ToLine(item.Name, scan.Verdict)));
                var action = scan.Verdict.Action.ToString().ToLowerInvariant();
                actions[action] = actions.GetValueOrDefault(action) + 1;
                await progress.StepAsync();
            }
        }

        // The summary goes to stderr: stdout stays one line (or one JSON object) per message for scripts.
        await progress.WriteSummaryAsync("checked", progress.Count == 0 ? "none" : string.Join(", ", actions.Select(pair => $"{pair.Value} {pair.Key}")));
        return skipped == 0 ? 0 : 1;
    }

    private static string ToLine(string name, Verdict verdict) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}: {verdict.Action.ToString().ToLowerInvariant()} score={verdict.Score:0.00} symbols={string.Join(',', verdict.Symbols.Select(symbol => symbol.Name))}");

    /// <summary>
    /// What <c>spamassassin -t</c> prints, for one message: the action and why, each symbol with its score,
    /// its description and what the check saw (for ML_SPAM/ML_HAM: the classifier's strongest features; for
    /// SITE_*: the site tokens).
    /// </summary>
    private static string Report(string name, ScanResult scan)
    {
        var verdict = scan.Verdict;
        var thresholds = scan.Policy.ThresholdsFor(scan.Context.Envelope.PolicyGroup);
        var text = new System.Text.StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{name}\n  action: {verdict.Action.ToString().ToLowerInvariant()}, score {verdict.Score:0.00} (tag {thresholds.Tag:0.##}, reject {thresholds.Reject:0.##})");
        var why = verdict.ForcedBy is { } forced ? $"forced by {forced}: {verdict.Reason}"
            : verdict.Score >= thresholds.Reject ? "the score reaches the reject threshold"
            : verdict.Score >= thresholds.Tag ? "the score reaches the tag threshold"
            : "the score stays under the tag threshold";
        text.Append("; ").Append(why).Append('\n');
        text.Append("   score  symbol                          description\n");
        foreach (var symbol in verdict.Symbols.OrderByDescending(symbol => Math.Abs(symbol.Score)))
        {
            var description = scan.Policy.DescriptionOf(symbol.Name) ?? string.Empty;
            text.Append(CultureInfo.InvariantCulture, $"  {symbol.Score,6:0.00}  {symbol.Name,-30}  {description}\n");
            if (symbol.Detail is { Length: > 0 } detail && detail != description)
            {
                text.Append(CultureInfo.InvariantCulture, $"          {new string(' ', 30)}  {detail}\n");
            }
        }

        foreach (var cap in ScoreCalculator.Caps(verdict.Symbols, scan.Policy))
        {
            text.Append(CultureInfo.InvariantCulture, $"  group {cap.Group}: its symbols add up to {cap.Sum:0.00}, counted as its max_score {cap.MaxScore:0.00}\n");
        }

        return text.ToString().TrimEnd('\n');
    }

    /// <summary>
    /// Stages that have not run report null (not evaluated), never a made-up result: auth is null offline,
    /// classifier when no model is loaded.
    /// </summary>
    private static string ToJson(string name, ScanResult scan)
    {
        var auth = scan.Context.Authentication;
        return JsonSerializer.Serialize(
        new
        {
            File = name,
            Action = scan.Verdict.Action.ToString().ToLowerInvariant(),
            Score = scan.Verdict.Score,
            Symbols = scan.Verdict.Symbols.Select(symbol => new { symbol.Name, Score = Math.Round(symbol.Score, 3), symbol.Detail }),
            // Why the symbol scores may add up to more than the score: groups counted at their max_score.
            Capped = ScoreCalculator.Caps(scan.Verdict.Symbols, scan.Policy).Select(cap => new { cap.Group, Sum = Math.Round(cap.Sum, 3), cap.MaxScore }),
            Auth = new
            {
                Spf = auth.Spf?.Result.ToString().ToLowerInvariant(),
                Dkim = auth.DkimSummary,
                Dmarc = auth.Dmarc is null ? null : AuthenticationOutcome.Word(auth.Dmarc.Result),
                Arc = auth.Arc is null ? null : AuthenticationOutcome.Word(auth.Arc.Result),
            },
            Classifier = new
            {
                SpamProbability = scan.Context.Classification?.SpamProbability,
                TopFeatures = scan.Context.Classification?.TopFeatures.Select(feature => new { feature.Feature, Weight = Math.Round(feature.Weight, 4) }),
            },
        },
        Json);
    }
}
