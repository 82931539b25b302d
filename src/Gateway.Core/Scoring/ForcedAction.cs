namespace Gateway.Core.Scoring;

/// <summary>An action a check or rule demands whatever the score, with the text the client is told.</summary>
/// <param name="Code">The basic reply code when not the action's usual one (554 for a virus, where 550 is usual).</param>
public sealed record ForcedAction(VerdictAction Action, string Source, string Reply, int? Code = null);
