using SmtpServer.Mail;

namespace Gateway.Smtp.Phases;

/// <summary>What a MAIL-time check sees: the session so far, the sender as given and its declared SIZE.</summary>
internal sealed class SenderStep(SessionState session, IMailbox sender, int declaredSize)
{
    public SessionState Session => session;

    public IMailbox Sender => sender;

    public int DeclaredSize => declaredSize;
}

/// <summary>
/// What a RCPT-time check sees: the session and its transaction so far (<see cref="Session"/>), and this
/// recipient. What checks learn about the recipient (its policy group, its downstream route) is kept
/// here and becomes the transaction's once the downstream accepted the recipient.
/// </summary>
internal sealed class RecipientStep(SessionState session, IMailbox mailbox)
{
    public SessionState Session => session;

    public IMailbox Mailbox => mailbox;

    /// <summary>The address in the form it goes downstream in (quoted as needed); null when it has no valid form.</summary>
    public string? Recipient { get; } = Core.Pipeline.SmtpAddress.Format(mailbox.User, mailbox.Host ?? string.Empty);

    public string? PolicyGroup { get; set; }

    public string? Route { get; set; }
}
