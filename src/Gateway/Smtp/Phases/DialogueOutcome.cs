using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp.Phases;

/// <summary>
/// How a MAIL- or RCPT-time check ends, in a closed vocabulary (as Haraka's hooks): go on to the next
/// check, or answer the client now — a refusal (its code says temporary or permanent) or a refusal that
/// also closes the connection.
/// </summary>
internal sealed record DialogueOutcome(SmtpReply? Reply, bool Disconnect)
{
    public static readonly DialogueOutcome Continue = new(null, false);

    public bool IsContinue => Reply is null;

    public static DialogueOutcome Refuse(SmtpReply reply) => new(reply, false);

    /// <summary>The reply (421), then the connection closes.</summary>
    public static DialogueOutcome Close(SmtpReply reply) => new(reply, true);
}
