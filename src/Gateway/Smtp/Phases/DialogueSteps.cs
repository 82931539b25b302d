using SmtpServer.Mail;

namespace Gateway.Smtp.Phases;

/// <summary>
/// What a MAIL-time check sees: the session so far, the transaction this MAIL opens (its MAIL FROM in the
/// form it goes downstream in: null for the null sender or an address with no valid form) and the
/// declared SIZE. If a check refuses, the transaction is ended again.
/// </summary>
internal sealed class SenderStep(SessionState session, TransactionState transaction, IMailbox sender, int declaredSize)
{
    public SessionState Session => session;

    public TransactionState Transaction => transaction;

    public IMailbox Sender => sender;

    /// <summary>MAIL FROM:&lt;&gt;, the null sender of bounces.</summary>
    public bool IsNullSender => sender.AsAddress() is null;

    public int DeclaredSize => declaredSize;
}

/// <summary>
/// What a RCPT-time check sees: the session, its transaction so far, and this recipient. What checks learn
/// about the recipient (its policy group, its downstream route) is kept here and becomes the transaction's
/// once the downstream accepted the recipient.
/// </summary>
internal sealed class RecipientStep(SessionState session, TransactionState transaction, IMailbox mailbox)
{
    public SessionState Session => session;

    public TransactionState Transaction => transaction;

    public IMailbox Mailbox => mailbox;

    /// <summary>The address in the form it goes downstream in (quoted as needed); null when it has no valid form (refused by recipient-address).</summary>
    public string? Recipient { get; } = Core.Pipeline.SmtpAddress.Format(mailbox.User, mailbox.Host ?? string.Empty);

    public string? PolicyGroup { get; set; }

    public string? Route { get; set; }

    /// <summary>The recipient's allowed senders, as one comparable text (empty: none).</summary>
    public string AllowedSenders { get; set; } = string.Empty;

    /// <summary>A spam trap (fuzzy.traps): accepted without asking the downstream.</summary>
    public bool IsTrap { get; set; }
}
