using System.Globalization;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Corpus;
using Gateway.Core.Learning;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.State;
using Microsoft.Extensions.Logging.Abstractions;
using MimeKit;
using Gateway.Core.Authentication;

namespace Gateway.Benchmarks;

/// <summary>
/// A simulated site (issue 19): the shipped model and rules, plus site evidence learned from N messages of
/// the site's past mail, measured on mail the site has not seen. "Past mail" is the training part of
/// ../shared/corpus and ../shared/corpus-modern (the split of `gateway train`); the measured mail is the
/// hold-out fifth, which neither the shipped model nor the site model saw. Users label what lands in Junk
/// and what they keep, so the learned sample is half spam, half ham, drawn at random (fixed seed).
/// Second scenario: the hold-out streamed in a fixed random order while users correct the gateway (every
/// false positive released as ham, half of the missed spam reported), measured in windows as it goes.
/// With --validate the same is measured on the validation fifth of the training part, with a model trained
/// without it (<see cref="ValidationModel"/>): settings are tried there, never on the hold-out. For trying
/// them: SIM_SPAM_CUTOFF and SIM_HAM_CUTOFF (learning.spam_cutoff / ham_cutoff), SIM_RULES (another rules
/// folder, e.g. other weights), SIM_SEED (another random past-mail sample), SIM_DEBUG=1 (ham near misses).
/// --validate=2 (3, ...) takes another fifth of the training part as the validation fold, with a model of its own.
/// Usage: dotnet run -c Release --project bench/Gateway.Benchmarks -- site-learning [--validate[=FOLD]] [REPO_ROOT]
/// </summary>
internal static class SiteLearningSimulation
{
    /// <summary>Half the tag threshold: ham scoring this much is one content rule away from a false positive.</summary>
    private const double NearMiss = 2.5;

    internal sealed record Mail(string Key, bool IsSpam, string Era, string Source, byte[] Raw);

    /// <param name="fold">0: measure on the hold-out; 1, 2, ...: on that validation fold of the training part.</param>
    public static async Task<int> RunAsync(string root, int fold)
    {
        var mail = Load(Path.Combine(root, "..", "shared"));
        var (train, holdOut) = Split(mail);
        var modelPath = Path.Combine(root, "models", "spam.zip");
        var validate = fold > 0;
        if (validate)
        {
            // Tuning never looks at the hold-out: the training part is split again as `gateway train` would
            // split it, a model is trained on the rest, and the site is measured on that validation fifth.
            var salt = fold == 1 ? string.Empty : $"fold{fold}:";
            (train, holdOut) = Split(train, salt);
            modelPath = ValidationModel.PathFor(root, train, holdOut, salt);
        }

        Console.WriteLine($"past mail: {train.Count(m => !m.IsSpam)} ham, {train.Count(m => m.IsSpam)} spam; measured ({(validate ? "validation fifth of the training part, its own model" : "hold-out, shipped model")}): {holdOut.Count(m => !m.IsSpam)} ham, {holdOut.Count(m => m.IsSpam)} spam");
        var policy = ScoringPolicy.LoadFolder(Environment.GetEnvironmentVariable("SIM_RULES") ?? Path.Combine(root, "rules"));
        using var models = new ModelSource(modelPath, NullLogger.Instance);
        var random = new Random(int.Parse(Environment.GetEnvironmentVariable("SIM_SEED") ?? "19", CultureInfo.InvariantCulture));
        var past = train.OrderBy(_ => random.Next()).ToList();
        var results = new List<(string Learned, Dictionary<string, (int Ham, int HamFlagged, int HamNear, int Spam, int Caught)> Rows)>();
        // The last column: 500 learned where the users kept (and so taught as ham) their commercial mail,
        // every foff-milter ham message of the past mail, the rest of the ham half drawn as before.
        // The one after it: the 2002 site's commercial mail (hard_ham: newsletters, offers, receipts) kept too.
        var commercial = past.Where(m => !m.IsSpam && m.Source.EndsWith("/foff-milter", StringComparison.Ordinal)).ToList();
        var commercialBothEras = commercial.Concat(past.Where(m => !m.IsSpam && m.Source.EndsWith("/hard_ham", StringComparison.Ordinal))).ToList();
        var scored = new List<string>();
        foreach (var (learned, label) in new[] { (0, "0"), (100, "100"), (500, "500"), (2000, "2000"), (500, "500, commercial kept"), (500, "500, commercial of both eras kept") })
        {
            var options = Options();
            var store = new MemorySiteTokenStore();
            var learner = new SiteLearner(store, options, TimeProvider.System);
            List<Mail> kept = label.Contains("both eras", StringComparison.Ordinal) ? commercialBothEras : label.Contains("commercial", StringComparison.Ordinal) ? commercial : [];
            var hamHalf = kept.Take(learned / 2).Concat(past.Where(m => !m.IsSpam && !kept.Contains(m)).Take(Math.Max(0, (learned / 2) - kept.Count)));
            var sample = past.Where(m => m.IsSpam).Take(learned / 2).Concat(hamHalf);
            foreach (var m in sample)
            {
                await LearnAsync(learner, m);
            }

            var scanner = Scanner(models, store, options, policy);
            var rows = new Dictionary<string, (int Ham, int HamFlagged, int HamNear, int Spam, int Caught)>(StringComparer.Ordinal);
            var fired = new SortedDictionary<string, (int Ham, int Spam)>(StringComparer.Ordinal);
            foreach (var m in holdOut)
            {
                var verdict = (await scanner.ScanAsync("sim", Envelope.Offline, m.Raw, CancellationToken.None)).Verdict;
                var flagged = verdict.Action is VerdictAction.Tag or VerdictAction.Reject or VerdictAction.Quarantine;
                foreach (var symbol in verdict.Symbols.Where(symbol => symbol.Name.StartsWith("SITE_", StringComparison.Ordinal) && symbol.Score != 0))
                {
                    var (ham, spam) = fired.GetValueOrDefault(symbol.Name);
                    fired[symbol.Name] = m.IsSpam ? (ham, spam + 1) : (ham + 1, spam);
                }

                if (Environment.GetEnvironmentVariable("SIM_DEBUG") == "1" && !m.IsSpam && (flagged || verdict.Score >= NearMiss))
                {
                    Console.Error.WriteLine($"{learned} {m.Key}: {verdict.Score:0.00} {string.Join("; ", verdict.Symbols.Select(s => $"{s.Name} {s.Score:0.00} {s.Detail}"))}");
                }

                foreach (var key in new[] { m.Era, m.Source })
                {
                    var row = rows.GetValueOrDefault(key);
                    rows[key] = m.IsSpam
                        ? row with { Spam = row.Spam + 1, Caught = row.Caught + (flagged ? 1 : 0) }
                        : row with { Ham = row.Ham + 1, HamFlagged = row.HamFlagged + (flagged ? 1 : 0), HamNear = row.HamNear + (flagged || verdict.Score >= NearMiss ? 1 : 0) };
                }
            }

            results.Add((label, rows));
            scored.Add($"| after {label} | " + string.Join(" | ", new[] { SiteEvidenceCheck.SpamSymbol, SiteEvidenceCheck.HamSymbol, SiteEvidenceCheck.SenderHamSymbol }.Select(name => fired.TryGetValue(name, out var count) ? $"{count.Ham} / {count.Spam}" : "0 / 0")) + " |");
            Console.Error.WriteLine($"learned {label}: done");
        }

        Console.WriteLine($"\nMeasured messages where site evidence scored (not 0), ham / spam:\n\n| learned | {SiteEvidenceCheck.SpamSymbol} | {SiteEvidenceCheck.HamSymbol} | {SiteEvidenceCheck.SenderHamSymbol} |\n| --- | ---: | ---: | ---: |");
        scored.ForEach(Console.WriteLine);
        Console.WriteLine("\n| era / source | " + string.Join(" | ", results.Select(r => $"after {r.Learned}: ham flagged / ham >= {NearMiss} / spam caught")) + " |");
        Console.WriteLine("| --- |" + string.Concat(results.Select(_ => " ---: |")));
        foreach (var key in results[0].Rows.Keys.OrderBy(key => key.Contains('/') ? 1 : 0).ThenBy(key => key, StringComparer.Ordinal))
        {
            Console.WriteLine($"| {key} | " + string.Join(" | ", results.Select(r =>
            {
                var row = r.Rows[key];
                return row.Ham > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{row.HamFlagged}/{row.Ham} ({100.0 * row.HamFlagged / row.Ham:0.0} %) / {row.HamNear}")
                    : string.Create(CultureInfo.InvariantCulture, $"{row.Caught}/{row.Spam} ({100.0 * row.Caught / row.Spam:0.0} %)");
            })) + " |");
        }

        await StreamWithCorrectionsAsync(holdOut, models, policy);
        return 0;
    }

    /// <summary>The hold-out in a fixed random order; users release every false positive and report half the missed spam.</summary>
    private static async Task StreamWithCorrectionsAsync(List<Mail> holdOut, ModelSource models, ScoringPolicy policy)
    {
        var without = await StreamAsync(holdOut, models, policy, learn: false);
        var with = await StreamAsync(holdOut, models, policy, learn: true);
        Console.WriteLine($"\nStreaming the hold-out with user corrections (windows of {Window} messages), against the same stream without learning:\n");
        Console.WriteLine("| messages | learned before the window | ham flagged without / with | spam caught without / with |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        for (var i = 0; i < with.Count; i++)
        {
            var (a, b) = (without[i], with[i]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {a.Label} | {b.Learned} | {a.HamFlagged}/{a.Ham} / {b.HamFlagged}/{b.Ham} | {a.Caught}/{a.Spam} ({100.0 * a.Caught / Math.Max(1, a.Spam):0.0} %) / {b.Caught}/{b.Spam} ({100.0 * b.Caught / Math.Max(1, b.Spam):0.0} %) |"));
        }
    }

    private const int Window = 300;

    private static async Task<List<(string Label, int Learned, int Ham, int HamFlagged, int Spam, int Caught)>> StreamAsync(List<Mail> holdOut, ModelSource models, ScoringPolicy policy, bool learn)
    {
        var windows = new List<(string Label, int Learned, int Ham, int HamFlagged, int Spam, int Caught)>();
        var options = Options();
        var store = new MemorySiteTokenStore();
        var learner = new SiteLearner(store, options, TimeProvider.System);
        var scanner = Scanner(models, store, options, policy);
        var random = new Random(20);
        var stream = holdOut.OrderBy(_ => random.Next()).ToList();
        var learned = 0;
        for (var start = 0; start < stream.Count; start += Window)
        {
            int ham = 0, hamFlagged = 0, spam = 0, caught = 0;
            var learnedBefore = learned;
            foreach (var m in stream.Skip(start).Take(Window))
            {
                var verdict = (await scanner.ScanAsync("sim", Envelope.Offline, m.Raw, CancellationToken.None)).Verdict;
                var flagged = verdict.Action is VerdictAction.Tag or VerdictAction.Reject or VerdictAction.Quarantine;
                _ = m.IsSpam ? spam++ : ham++;
                _ = m.IsSpam ? caught += flagged ? 1 : 0 : hamFlagged += flagged ? 1 : 0;
                // Flagged spam lands in Junk and is learned by the IMAP collector; missed spam is reported
                // half the time; ham the user reads is learned, and a false positive is released (learned as ham).
                var learns = m.IsSpam ? flagged || random.NextDouble() < 0.5 : true;
                if (learn && learns && await LearnAsync(learner, m) == LearnOutcome.Learned)
                {
                    learned++;
                }
            }

            windows.Add(($"{start + 1}-{Math.Min(start + Window, stream.Count)}", learnedBefore, ham, hamFlagged, spam, caught));
        }

        return windows;
    }

    private static Task<LearnOutcome> LearnAsync(SiteLearner learner, Mail m)
    {
        var message = Parse(m.Raw);
        var aligned = SimulatedAuthentication.Aligned(message);
        return learner.LearnAsync(message, m.Raw, m.IsSpam, "simulation", aligned ?? SenderIdentity.UnauthenticatedMark, aligned, CancellationToken.None, unlimited: true);
    }

    /// <summary>
    /// Who sent a message, as the gateway's authentication would prove it: the bench cannot verify the
    /// corpora's DKIM signatures (their keys are out on the Internet, and the bench never leaves loopback),
    /// so a signature whose d= is the From organisation is taken as verified and DMARC-aligned. Stands in
    /// for the dmarc check in the simulated pipeline, and names the sender when a message is learned.
    /// </summary>
    private sealed class SimulatedAuthentication : IMessageCheck
    {
        public string Name => "dmarc";

        public IReadOnlyList<string> DependsOn => [];

        public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
        {
            if (Aligned(message.Message) is { } domain)
            {
                message.Authentication.Dmarc = new Gateway.Core.Authentication.Dmarc.DmarcOutcome(Gateway.Core.Authentication.AuthResult.Pass, domain, DkimAligned: true);
            }

            return ValueTask.FromResult(CheckStatus.Completed);
        }

        public static string? Aligned(MimeMessage message)
        {
            if (message.From.Mailboxes.FirstOrDefault()?.Domain is not { Length: > 0 } from)
            {
                return null;
            }

            var organisation = SenderIdentity.Organisation(from);
            foreach (var header in message.Headers.Where(header => header.Id == HeaderId.DkimSignature))
            {
                var tag = header.Value.Split(';').Select(part => part.Trim()).FirstOrDefault(part => part.StartsWith("d=", StringComparison.Ordinal));
                if (tag is not null && SenderIdentity.Organisation(tag[2..]) == organisation)
                {
                    return organisation;
                }
            }

            return null;
        }
    }

    private static LearningOptions Options()
    {
        var defaults = new LearningOptions();
        double Env(string name, double fallback) => Environment.GetEnvironmentVariable(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;
        return defaults with { SpamCutoff = Env("SIM_SPAM_CUTOFF", defaults.SpamCutoff), HamCutoff = Env("SIM_HAM_CUTOFF", defaults.HamCutoff) };
    }

    private static MessageScanner Scanner(ModelSource models, ISiteTokenStore store, LearningOptions options, ScoringPolicy policy)
    {
        var checks = new List<IMessageCheck> { new ClassifierCheck(models, ClassifierExplain.Spam), new SimulatedAuthentication(), new SiteEvidenceCheck(store, options) { DependsOn = ["dmarc"] } };
        checks.Add(new RulesCheck([.. checks.Select(check => check.Name)]));
        return new MessageScanner(new PipelineRunner(checks, TimeSpan.FromSeconds(30)), () => policy);
    }

    internal static MimeMessage Parse(byte[] raw)
    {
        try
        {
            return MimeMessage.Load(new MemoryStream(raw, writable: false));
        }
        catch (FormatException)
        {
            return new MimeMessage();
        }
    }

    internal static List<Mail> Load(string shared)
    {
        var mail = new List<Mail>();
        foreach (var (corpus, era) in new[] { ("corpus", "2002"), ("corpus-modern", "2019-2026") })
        {
            foreach (var label in new[] { "ham", "spam" })
            {
                var folder = Path.Combine(shared, corpus, label);
                foreach (var item in MessageFiles.Enumerate(folder))
                {
                    var relative = Path.GetRelativePath(folder, item.Name);
                    var source = $"{corpus}/{label}/{relative.Split(Path.DirectorySeparatorChar)[0]}";
                    mail.Add(new Mail($"{label}/{relative}", label == "spam", "**" + era + "**", source, item.Raw.ToArray()));
                }
            }
        }

        return mail;
    }

    /// <summary>The split of `gateway train` (SpamModelTrainer.Split, keyed as the trainer keys a message: class/relative path).</summary>
    /// <param name="salt">Prefixed to each key before hashing: another fold (the trainer, given the salted keys, holds out the same fifth).</param>
    internal static (List<Mail> Train, List<Mail> HoldOut) Split(List<Mail> mail, string salt = "") =>
        SpamModelTrainer.Split(mail, m => m.IsSpam, m => salt + m.Key);
}
