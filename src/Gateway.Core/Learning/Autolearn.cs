using Gateway.Core.Authentication;
using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.State;

namespace Gateway.Core.Learning;

/// <summary>
/// Learning from the gateway's own verdicts, only where evidence independent of the classifiers is strong
/// (learning.autolearn, off by default): ham when DMARC passed and a DNS allow list vouches for the client
/// (a DNS-list symbol with a negative score) and the message was accepted; spam when it was rejected and
/// the reject stands without the classifier group (a forced reject, or rules, lists and authentication
/// alone reach the reject threshold). The classifiers never teach themselves: that would only amplify
/// their own mistakes. At most max_per_hour per class, counted in the state store (shared by instances).
/// </summary>
public sealed class Autolearn(SiteLearner learner, IStateStore state, AutolearnOptions options, TimeProvider time)
{
    public const string Source = "autolearn";
    private const string ClassifierGroup = "classifier";

    /// <summary>True: learn as spam; false: as ham; null: not sure enough to learn.</summary>
    public static bool? Decide(ScanResult scan)
    {
        var verdict = scan.Verdict;
        var policy = scan.Policy;
        if (verdict.Action == VerdictAction.Reject)
        {
            var withoutClassifiers = ScoreCalculator.CappedTotal(verdict.Symbols.Where(symbol => policy.GroupOfSymbol(symbol.Name) != ClassifierGroup), policy);
            return verdict.ForcedBy is not null || withoutClassifiers >= policy.ThresholdsFor(scan.Context.Envelope.PolicyGroup).Reject ? true : null;
        }

        var dmarcPass = scan.Context.Authentication.Dmarc?.Result == AuthResult.Pass;
        var listSymbols = policy.Lists.Lists.SelectMany(list => list.Meanings.Select(meaning => meaning.Symbol)).ToHashSet(StringComparer.Ordinal);
        var vouched = verdict.Symbols.Any(symbol => symbol.Score < 0 && listSymbols.Contains(symbol.Name));
        return verdict.Action == VerdictAction.Accept && dmarcPass && vouched ? false : null;
    }

    /// <summary>What to learn from this scan, worked out now (the parsed message is released once relayed); null when nothing.</summary>
    public LearnedMessage? Prepare(ScanResult scan, CancellationToken cancellationToken) =>
        options.Enabled && Decide(scan) is { } isSpam
            ? SiteLearner.Describe(scan.Context.Message, scan.Context.RawMessage, isSpam, Source, SenderIdentity.Of(scan.Context), SenderIdentity.AlignedOf(scan.Context), cancellationToken)
            : null;

    /// <summary>Learns it unless this hour's allowance for its class is used up; the outcome, or null when over the allowance.</summary>
    public async Task<LearnOutcome?> LearnAsync(LearnedMessage message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!await state.TryConsumeAsync($"autolearn:{(message.IsSpam ? "spam" : "ham")}", 1, options.MaxPerHour, TimeSpan.FromHours(1), now, cancellationToken))
        {
            return null;
        }

        return await learner.Store.LearnAsync(message, learner.Limits, now, cancellationToken);
    }
}
