namespace Gateway.Smtp.Phases;

/// <summary>
/// One connect-time check: before the greeting, with only the client's address (after PROXY) known.
/// A refusal replaces the 220 greeting (RFC 5321 3.1); the client may only QUIT after it.
/// </summary>
internal interface IConnectCheck
{
    /// <summary>The reason label of gateway_smtp_connections_refused_total when this check refuses.</summary>
    string Name { get; }

    ValueTask<DialogueOutcome> CheckAsync(IPAddress client, CancellationToken cancellationToken);
}

/// <summary>
/// One MAIL-time check. Checks run in their registration order (<see cref="DialogueChecks"/>); the first
/// that does not continue answers the client. Adding one is this class and one line of registration.
/// </summary>
internal interface ISenderCheck
{
    ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken);
}

/// <summary>One RCPT-time check, run like <see cref="ISenderCheck"/> before the downstream hears of the recipient.</summary>
internal interface IRecipientCheck
{
    ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken);
}
