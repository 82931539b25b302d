using Gateway.Core.Pipeline;

namespace Gateway.Core.Scoring;

/// <summary>Turns symbol hits into a verdict: weight × factor, group caps, then thresholds.</summary>
public static class ScoreCalculator
{
    public static Verdict Decide(IReadOnlyList<SymbolHit> hits, ScoringPolicy policy) => Decide(hits, [], policy);

    /// <summary>
    /// Forced actions first, strongest first (reject, tempfail, quarantine, then accept for allow-lists); then the
    /// check-error fallback; then the score thresholds, which a forced tag can raise from accept to tag.
    /// </summary>
    /// <param name="group">The transaction's policy group (its thresholds); null is the default group.</param>
    public static Verdict Decide(IReadOnlyList<SymbolHit> hits, IReadOnlyList<ForcedAction> forced, ScoringPolicy policy, string? group = null)
    {
        var scored = hits
            .Select(hit => new ScoredSymbol(hit.Name, policy.ScoreOf(hit), hit.Detail))
            .ToList();
        var score = Math.Round(CappedTotal(scored, policy), 2);

        var thresholds = policy.ThresholdsFor(group);
        if (forced.FirstOrDefault(action => action.Action == VerdictAction.Reject) is { } reject)
        {
            return new Verdict(VerdictAction.Reject, score, scored, reject.Reason, reject.Source, reject.Reply);
        }

        if (forced.FirstOrDefault(action => action.Action == VerdictAction.TempFail) is { } tempfail)
        {
            return new Verdict(VerdictAction.TempFail, score, scored, tempfail.Reason, tempfail.Source, tempfail.Reply);
        }

        if (forced.FirstOrDefault(action => action.Action == VerdictAction.Quarantine) is { } hold)
        {
            // Held, not delivered: an allow-list does not release what a rule wants an operator to look at.
            return new Verdict(VerdictAction.Quarantine, score, scored, hold.Reason, hold.Source);
        }

        if (forced.FirstOrDefault(action => action.Action == VerdictAction.Accept) is { } accept)
        {
            // An allow-list: beats the score and forced tags, never a forced reject.
            return new Verdict(VerdictAction.Accept, score, scored, accept.Reason, accept.Source);
        }

        if (policy.Actions.OnCheckError == CheckErrorFallback.Tempfail && hits.Any(hit => hit.Name == PipelineRunner.CheckErrorSymbol))
        {
            return new Verdict(VerdictAction.TempFail, score, scored, "a check failed; try again later");
        }

        var action = thresholds.ActionFor(score);
        if (action == VerdictAction.TempFail)
        {
            // The soft-reject band: the reply says why without the details a spammer would tune against.
            return new Verdict(action, score, scored, "the message looks like spam; try again later");
        }

        if (action == VerdictAction.Accept && forced.FirstOrDefault(item => item.Action == VerdictAction.Tag) is { } tag)
        {
            return new Verdict(VerdictAction.Tag, score, scored, tag.Reason, tag.Source);
        }

        return new Verdict(action, score, scored);
    }

    /// <summary>Positive totals of a group stop at its max_score; negative evidence is never capped.</summary>
    public static double CappedTotal(IEnumerable<ScoredSymbol> scored, ScoringPolicy policy)
    {
        var symbols = scored.ToList();
        return symbols.Sum(symbol => symbol.Score) - Caps(symbols, policy).Sum(cap => cap.Sum - cap.MaxScore);
    }

    /// <summary>
    /// The groups whose symbols add up to more than their max_score, with both figures: why a verdict's
    /// symbol scores add up to more than its total (check --explain and --json show them).
    /// </summary>
    public static IReadOnlyList<GroupCap> Caps(IEnumerable<ScoredSymbol> scored, ScoringPolicy policy) =>
        [.. scored.GroupBy(symbol => policy.GroupOfSymbol(symbol.Name))
            .Select(byGroup => (byGroup.Key, Sum: byGroup.Sum(symbol => symbol.Score)))
            .Where(group => group.Key is not null && policy.Symbols.Groups.TryGetValue(group.Key, out var definition) && definition.MaxScore is { } cap && group.Sum > cap)
            .Select(group => new GroupCap(group.Key!, group.Sum, policy.Symbols.Groups[group.Key!].MaxScore!.Value))];
}

/// <summary>A group whose symbols add up to <see cref="Sum"/>, counted as its <see cref="MaxScore"/>.</summary>
public sealed record GroupCap(string Group, double Sum, double MaxScore);
