using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Fitting;

/// <summary>
/// A logged message judged again under a policy, with the very code the gateway decides with
/// (<see cref="ScoreCalculator"/>): what a fit reports is what the gateway would do.
/// </summary>
public static class PolicyVerdicts
{
    public static Verdict Judge(MassCheckEntry entry, ScoringPolicy policy)
    {
        var hits = entry.Symbols.Select(symbol => new SymbolHit(symbol.Key, symbol.Value)).ToList();
        return ScoreCalculator.Decide(hits, ForcedOf(entry), policy);
    }

    /// <summary>The forced actions a logged message carried.</summary>
    public static IReadOnlyList<ForcedAction> ForcedOf(MassCheckEntry entry) => [.. entry.Forced.Select(ParseForced)];

    /// <summary>Tag, quarantine or reject: what a user would see as "marked as spam".</summary>
    public static bool Flagged(Verdict verdict) => verdict.Action is VerdictAction.Tag or VerdictAction.Quarantine or VerdictAction.Reject;

    public static string FormatForced(ForcedAction action) => $"{action.Action.ToString().ToLowerInvariant()}:{action.Source}";

    private static ForcedAction ParseForced(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var action = Enum.Parse<VerdictAction>(colon < 0 ? text : text[..colon], ignoreCase: true);
        return new ForcedAction(action, colon < 0 ? "log" : text[(colon + 1)..], "forced");
    }

    /// <summary>Per source: messages, flagged and rejected under the policy.</summary>
    public static IReadOnlyDictionary<string, SourceCount> Count(IEnumerable<MassCheckEntry> entries, ScoringPolicy policy)
    {
        var counts = new Dictionary<string, SourceCount>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            var verdict = Judge(entry, policy);
            var before = counts.GetValueOrDefault(entry.Source);
            counts[entry.Source] = new SourceCount(before.Messages + 1, before.Flagged + (Flagged(verdict) ? 1 : 0), before.Rejected + (verdict.Action == VerdictAction.Reject ? 1 : 0));
        }

        return counts;
    }
}

/// <summary>How many messages of a source, and how many of them were flagged and rejected.</summary>
public readonly record struct SourceCount(int Messages, int Flagged, int Rejected)
{
    public static SourceCount operator +(SourceCount a, SourceCount b) => new(a.Messages + b.Messages, a.Flagged + b.Flagged, a.Rejected + b.Rejected);
}
