namespace Gateway.Core.Pipeline;

/// <summary>An action a check or rule demands whatever the score, and why.</summary>
/// <param name="Reason">Why, in words: logs, X-Gateway-Would, the quarantine's record, and the reply's text when <paramref name="Reply"/> is null.</param>
/// <param name="Reply">For reject and tempfail, the exact reply the client gets (a rule's <c>reply: "554 5.7.9 ..."</c>); null: the action's usual one.</param>
public sealed record ForcedAction(VerdictAction Action, string Source, string Reason, SmtpReply? Reply = null);
