namespace Gateway.Smtp.Phases;

/// <summary>What every dialogue check has: a name, for metrics, logs and <c>DependsOn</c>.</summary>
internal interface IDialogueCheck
{
    /// <summary>Short lower-case name (sender-address); a connect check's is the reason label of gateway_smtp_connections_refused_total.</summary>
    string Name { get; }
}

/// <summary>
/// One connect-time check: before the greeting, with only the client's address (after PROXY) known.
/// A refusal replaces the 220 greeting (RFC 5321 3.1); the client may only QUIT after it.
/// </summary>
internal interface IConnectCheck : IDialogueCheck
{
    ValueTask<DialogueOutcome> CheckAsync(IPAddress client, CancellationToken cancellationToken);
}

/// <summary>
/// One MAIL-time check. Checks run in their registration order (<see cref="DialogueChecks"/>); the first
/// that does not continue answers the client. Adding one is this class and one line of registration.
/// </summary>
internal interface ISenderCheck : IDialogueCheck
{
    /// <summary>MAIL checks that must have let the sender through before this one runs; start-up refuses an order that breaks it.</summary>
    IReadOnlyList<string> DependsOn => [];

    ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken);
}

/// <summary>One RCPT-time check, run like <see cref="ISenderCheck"/> before the downstream hears of the recipient.</summary>
internal interface IRecipientCheck : IDialogueCheck
{
    /// <summary>RCPT checks that must have let the recipient through before this one runs (recipient-address, for <see cref="RecipientStep.Recipient"/>).</summary>
    IReadOnlyList<string> DependsOn => [];

    ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken);
}
