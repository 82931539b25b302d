using System.Globalization;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Fuzzy;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Benchmarks;

/// <summary>
/// Fuzzy hashes streamed over the corpora (issue 36): the modern spam in date order through the shipped model and
/// rules plus the fuzzy check, while users report a share of it (1 %, 5 %: each reported message is learned as spam
/// after it arrived, as a user's "report" does); then every ham message, in date order, through the same store,
/// with all those reports learned. Counted per source: spam caught with and without the reports, messages that
/// matched a report (FUZZY_SPAM), and for ham: FUZZY_SPAM false matches, FUZZY_BULK hits, and tags that FUZZY_BULK
/// alone caused (the score without it would stay under the tag threshold). Time is each message's Date header, so
/// fuzzy.bulk_window (6 h) applies as it would have. Offline: no DNS, no authentication.
/// Usage: dotnet run -c Release --project bench/Gateway.Benchmarks -- fuzzy [REPO_ROOT]
/// </summary>
internal static class FuzzySimulation
{
    private sealed record Row(int Messages, int Caught, int HoldOut, int HoldOutCaught, int Matched, int Bulk, int BulkAloneTagged);

    public static async Task<int> RunAsync(string root)
    {
        var mail = SiteLearningSimulation.Load(Path.Combine(root, "..", "shared"));
        var policy = ScoringPolicy.LoadFolder(Path.Combine(root, "rules"));
        using var models = new ModelSource(Path.Combine(root, "models", "spam.zip"), NullLogger.Instance);
        // Spam the shipped model trained on is caught anyway; what reports add shows on the hold-out fifth it did not see.
        var holdOut = SiteLearningSimulation.Split(mail).HoldOut.Select(m => m.Key).ToHashSet(StringComparer.Ordinal);
        var spam = InDateOrder(mail.Where(m => m.IsSpam && m.Source.StartsWith("corpus-modern/", StringComparison.Ordinal)));
        var ham = InDateOrder(mail.Where(m => !m.IsSpam));
        Console.WriteLine($"modern spam streamed in date order: {spam.Count}; ham afterwards: {ham.Count}");
        foreach (var rate in new[] { 0.0, 0.01, 0.05 })
        {
            var time = new SimulatedTime();
            var options = new FuzzyOptions { Enabled = true };
            var store = new MemoryFuzzyStore(options.Ttl, options.BulkWindow, options.MemoryMaxKeys, time);
            var fuzzy = new FuzzyCheck(store, options);
            var checks = new List<IMessageCheck> { new ClassifierCheck(models, ClassifierExplain.Spam), fuzzy };
            checks.Add(new RulesCheck([.. checks.Select(check => check.Name)]));
            var scanner = new MessageScanner(new PipelineRunner(checks, TimeSpan.FromSeconds(30)), () => policy);
            var random = new Random(36);
            var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
            var reported = 0;
            foreach (var (message, date) in spam.Concat(ham))
            {
                time.Now = date;
                var scan = await scanner.ScanAsync(message.Key, Envelope.Offline with { Recipients = ["user@example.test"] }, message.Raw, CancellationToken.None);
                var verdict = scan.Verdict;
                var flagged = verdict.Action is VerdictAction.Tag or VerdictAction.Quarantine or VerdictAction.Reject;
                var bulk = verdict.Symbols.FirstOrDefault(symbol => symbol.Name == FuzzyCheck.Bulk);
                var row = rows.GetValueOrDefault(message.Source, new Row(0, 0, 0, 0, 0, 0, 0));
                var unseen = holdOut.Contains(message.Key);
                rows[message.Source] = new Row(
                    row.Messages + 1,
                    row.Caught + (flagged ? 1 : 0),
                    row.HoldOut + (unseen ? 1 : 0),
                    row.HoldOutCaught + (unseen && flagged ? 1 : 0),
                    row.Matched + (verdict.Symbols.Any(symbol => symbol.Name == FuzzyCheck.Spam) ? 1 : 0),
                    row.Bulk + (bulk is null ? 0 : 1),
                    row.BulkAloneTagged + (flagged && bulk is not null && verdict.Score - bulk.Score < policy.Actions.Actions.Tag ? 1 : 0));
                if (message.IsSpam && random.NextDouble() < rate)
                {
                    reported++;
                    await store.LearnAsync(FuzzyFingerprint.Of(SiteLearningSimulation.Parse(message.Raw), options.MinWords), isSpam: true, CancellationToken.None);
                }
            }

            Console.WriteLine();
            Console.WriteLine($"#### {rate:P0} of the modern spam reported ({reported} messages)");
            Console.WriteLine();
            Console.WriteLine("| source | messages | flagged (tag or above) | hold-out | hold-out flagged | FUZZY_SPAM (matched a report) | FUZZY_BULK | tagged by FUZZY_BULK alone |");
            Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var (source, row) in rows.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {source} | {row.Messages} | {row.Caught} ({100.0 * row.Caught / row.Messages:0.0} %) | {row.HoldOut} | {row.HoldOutCaught} ({100.0 * row.HoldOutCaught / Math.Max(1, row.HoldOut):0.0} %) | {row.Matched} | {row.Bulk} | {row.BulkAloneTagged} |"));
            }
        }

        return 0;
    }

    /// <summary>By the Date header (a message without a usable one goes last, in file order): the order the mail came in.</summary>
    private static List<(SiteLearningSimulation.Mail Mail, DateTimeOffset Date)> InDateOrder(IEnumerable<SiteLearningSimulation.Mail> mail) =>
        [.. mail.Select(m => (m, Date: SiteLearningSimulation.Parse(m.Raw).Date))
            .Select(pair => (pair.m, pair.Date == DateTimeOffset.MinValue ? DateTimeOffset.MaxValue.AddYears(-1) : pair.Date))
            .OrderBy(pair => pair.Item2).ThenBy(pair => pair.m.Key, StringComparer.Ordinal)];

    private sealed class SimulatedTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
