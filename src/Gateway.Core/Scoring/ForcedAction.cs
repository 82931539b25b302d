namespace Gateway.Core.Scoring;

/// <summary>An action a check or rule demands whatever the score, with the text the client is told.</summary>
public sealed record ForcedAction(VerdictAction Action, string Source, string Reply);
