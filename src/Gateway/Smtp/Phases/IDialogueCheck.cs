namespace Gateway.Smtp.Phases;

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
