namespace Gateway.Core.Scoring;

/// <summary>The decision on one message: what to do, why, and what the client is told when it is not 250.</summary>
public sealed record Verdict(VerdictAction Action, double Score, IReadOnlyList<ScoredSymbol> Symbols, string? Reason = null);
