using Gateway.Core.Pipeline;

namespace Gateway.Core.Scoring;

/// <summary>
/// The decision on one message: what to do and why. <see cref="Reason"/> is the client's reply text when a
/// forced action or the check-error fallback decided; <see cref="ForcedBy"/> names what forced it.
/// </summary>
/// <param name="Reply">The exact reply a forcing check or rule gave for a reject or tempfail; null: the action's usual one.</param>
public sealed record Verdict(VerdictAction Action, double Score, IReadOnlyList<ScoredSymbol> Symbols, string? Reason = null, string? ForcedBy = null, Pipeline.SmtpReply? Reply = null);
