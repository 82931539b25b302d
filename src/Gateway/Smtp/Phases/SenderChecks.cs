using Gateway.Core.Authentication.Spf;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using SmtpServer.Mail;

namespace Gateway.Smtp.Phases;

/// <summary>
/// A declared SIZE over limits.max_message_size: 552 5.3.4 before any byte of the message; one that the
/// message memory left cannot hold now: 452 4.3.1 (RFC 1870 6.1), rather than after the sender sent it all.
/// </summary>
internal sealed class DeclaredSizeCheck(LimitsOptions limits, Admission.MessageMemoryBudget? memory) : ISenderCheck
{
    public string Name => "declared-size";

    public ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken)
    {
        if (step.DeclaredSize > limits.MaxMessageSize)
        {
            return ValueTask.FromResult(DialogueOutcome.Refuse(SmtpReplies.MessageTooBig(limits.MaxMessageSize)));
        }

        if (memory is not null && step.DeclaredSize > memory.AvailableTo(Admission.MessageMemoryBudget.ClientKey(step.Session.ClientAddress)))
        {
            Metrics.GatewayMetrics.MessageMemoryDeferred.WithLabels("mail").Inc();
            return ValueTask.FromResult(DialogueOutcome.Refuse(SmtpReplies.OutOfMessageMemory));
        }

        return ValueTask.FromResult(DialogueOutcome.Continue);
    }
}

/// <summary>
/// The parameters we mirror downstream must be what they claim to be: SmtpServer reads a SIZE too big
/// for an int as 0, and would pass BODY=anything on.
/// </summary>
internal sealed class MailParametersCheck(LimitsOptions limits) : ISenderCheck
{
    public string Name => "mail-parameters";

    public ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken) =>
        ValueTask.FromResult(MailParameters.Check(step.Transaction.MailParameters, limits.MaxMessageSize) is { } bad ? DialogueOutcome.Refuse(bad) : DialogueOutcome.Continue);
}

/// <summary>The null sender is welcome; any other needs a form it can go downstream in (quoted as needed), or 553 5.1.7.</summary>
internal sealed class SenderAddressCheck : ISenderCheck
{
    public const string CheckName = "sender-address";

    public string Name => CheckName;

    public ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken) =>
        ValueTask.FromResult(
            step.IsNullSender ? DialogueOutcome.Continue
            : step.Transaction.MailFrom is not { } address ? DialogueOutcome.Refuse(new SmtpReply(553, "5.1.7", "Bad sender address syntax"))
            : Utf8Undeclared(step.Transaction, address) ?? DialogueOutcome.Continue);

    /// <summary>
    /// A UTF-8 address in a transaction whose MAIL did not say SMTPUTF8 (RFC 6531 3.4): 553 5.6.7, as
    /// Postfix answers, here rather than from the downstream, which would see the address without the
    /// parameter that makes it legal.
    /// </summary>
    public static DialogueOutcome? Utf8Undeclared(TransactionState transaction, string address) =>
        SmtpAddress.NeedsUtf8(address) && !transaction.MailParameters.Keys.Any(key => key.Equals("SMTPUTF8", StringComparison.OrdinalIgnoreCase))
            ? DialogueOutcome.Refuse(new SmtpReply(553, "5.6.7", "Must declare SMTPUTF8 to send a UTF-8 address"))
            : null;
}

/// <summary>
/// SPF has all it needs at MAIL (client IP, HELO, MAIL FROM): started here, so its DNS queries overlap the
/// rest of the dialogue. The DATA-phase check awaits the result; nothing is decided here.
/// </summary>
internal sealed class SpfStartCheck(SpfEvaluator spf, TimeSpan limit) : ISenderCheck
{
    public string Name => "spf-start";

    /// <summary>Only for a sender with a valid form: SPF evaluates MAIL FROM's domain.</summary>
    public IReadOnlyList<string> DependsOn => [SenderAddressCheck.CheckName];

    public ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken)
    {
        var (session, transaction) = (step.Session, step.Transaction);
        transaction.StartSpf(token => spf.CheckAsync(session.ClientAddress, session.HeloName, transaction.MailFrom, token), limit, cancellationToken);
        return ValueTask.FromResult(DialogueOutcome.Continue);
    }
}

/// <summary>Reverse DNS once per session (rules can test connection.rdns), started at the first MAIL to overlap the dialogue.</summary>
internal sealed class ReverseDnsStartCheck(IDnsResolver dns) : ISenderCheck
{
    public string Name => "reverse-dns-start";

    public ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken)
    {
        step.Session.ReverseName ??= ReverseDns.ConfirmedNameAsync(dns, step.Session.ClientAddress, cancellationToken);
        return ValueTask.FromResult(DialogueOutcome.Continue);
    }
}
