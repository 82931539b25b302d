using System.Globalization;
using Gateway.Core.Corpus;
using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway replay --corpus DIR [--labels ham=DIR,spam=DIR] --rules NEWDIR</c>: what a candidate policy
/// would change before it touches live mail. Each message is scanned with the current and the candidate
/// policy (offline: DNS answers drift over time, so replays compare content decisions only).
/// </summary>
internal static class ReplayCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, new HashSet<string> { "--config", "--corpus", "--labels", "--rules" }, new HashSet<string>());
        var candidateFolder = parsed.Value("--rules") ?? throw new UsageException("replay needs --rules NEWDIR (the candidate policy folder)");
        var sets = new List<(string Label, string Folder)>();
        sets.AddRange(parsed.Values("--corpus").Select(folder => ("unlabelled", folder)));
        foreach (var pair in (parsed.Value("--labels") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var label = equals > 0 ? pair[..equals] : string.Empty;
            if (label is not ("ham" or "spam"))
            {
                throw new UsageException($"--labels takes ham=DIR,spam=DIR, got '{pair}'");
            }

            sets.Add((label, pair[(equals + 1)..]));
        }

        if (sets.Count == 0)
        {
            throw new UsageException("replay needs --corpus DIR or --labels ham=DIR,spam=DIR");
        }

        var config = ConfigSource.Load(parsed.Value("--config"));
        var current = ScoringPolicy.LoadFolder(config.RulesFolder);
        var candidate = ScoringPolicy.LoadFolder(candidateFolder);
        using var loggerFactory = Logging.Create();
        using var models = CheckCatalog.Models(config.Options, loggerFactory);
        var runner = new PipelineRunner(CheckCatalog.Create(config.Options, dns: null, models), config.Options.Limits.CheckTimeout);
        var before = new MessageScanner(runner, () => current);
        var after = new MessageScanner(runner, () => candidate);
        var tallies = new Dictionary<string, (int Total, int FlaggedBefore, int FlaggedAfter, int RejectedBefore, int RejectedAfter)>();
        var changed = 0;
        var progress = new ProgressLine(error);

        foreach (var (label, folder) in sets)
        {
            foreach (var item in MessageFiles.Enumerate(folder))
            {
                var old = (await before.ScanAsync("replay", Envelope.Offline, item.Raw, cancellationToken)).Verdict;
                var now = (await after.ScanAsync("replay", Envelope.Offline, item.Raw, cancellationToken)).Verdict;
                var tally = tallies.GetValueOrDefault(label);
                tallies[label] = (
                    tally.Total + 1,
                    tally.FlaggedBefore + (old.Action != VerdictAction.Accept ? 1 : 0),
                    tally.FlaggedAfter + (now.Action != VerdictAction.Accept ? 1 : 0),
                    tally.RejectedBefore + (old.Action == VerdictAction.Reject ? 1 : 0),
                    tally.RejectedAfter + (now.Action == VerdictAction.Reject ? 1 : 0));
                await progress.StepAsync();
                if (old.Action == now.Action)
                {
                    continue;
                }

                changed++;
                var added = now.Symbols.Select(s => s.Name).Except(old.Symbols.Select(s => s.Name)).Select(name => "+" + name);
                var removed = old.Symbols.Select(s => s.Name).Except(now.Symbols.Select(s => s.Name)).Select(name => "-" + name);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{TerminalText.Escape(item.Name)} [{label}]: {Word(old.Action)} -> {Word(now.Action)} (score {old.Score:0.00} -> {now.Score:0.00}) {string.Join(' ', added.Concat(removed))}"));
            }
        }

        await progress.WriteSummaryAsync("replayed", $"{changed} change action");
        await output.WriteLineAsync($"{changed} message(s) change action");
        foreach (var (label, tally) in tallies)
        {
            var what = label switch { "ham" => "false positives (tagged or rejected)", "spam" => "detected (tagged or rejected)", _ => "tagged or rejected" };
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {tally.Total} messages; {what}: current {tally.FlaggedBefore} ({Share(tally.FlaggedBefore, tally.Total)}), candidate {tally.FlaggedAfter} ({Share(tally.FlaggedAfter, tally.Total)}); rejected: current {tally.RejectedBefore}, candidate {tally.RejectedAfter}"));
        }

        return 0;
    }

    private static string Word(VerdictAction action) => action.ToString().ToLowerInvariant();

    private static string Share(int count, int total) => total == 0 ? "-" : ((double)count / total).ToString("P2", CultureInfo.InvariantCulture);
}
