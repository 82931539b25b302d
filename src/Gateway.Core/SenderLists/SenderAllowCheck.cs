using Gateway.Core.Authentication;
using Gateway.Core.Pipeline;

namespace Gateway.Core.SenderLists;

/// <summary>
/// SENDER_ALLOWED (a large negative weight, symbols.yaml) when the recipients' lists allow the message's
/// author, and the author is proven: an allowed domain counts only with DMARC passing for the From domain;
/// an allowed address with DMARC passing, or as the envelope sender with SPF passing. "allow paypal.com" does
/// not let a forger through, and DMARC failing means no allow at all. A score is all it lowers: forced
/// actions (a virus, DMARC's p=reject, a rule's reject) still win. The transaction's recipients share their
/// allow entries (the dialogue splits recipients whose lists differ), so the first recipient's speak for all.
/// </summary>
public sealed class SenderAllowCheck(ISenderLists lists, bool authenticates) : IMessageCheck
{
    public const string Symbol = "SENDER_ALLOWED";

    public string Name => "sender-lists";

    /// <summary>After DMARC (and through it SPF) where DNS runs; offline nothing is proven, so nothing is allowed.</summary>
    public IReadOnlyList<string> DependsOn => authenticates ? ["dmarc"] : [];

    public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        if (message.Envelope.Recipients is not [var first, ..] || message.Message.From.Mailboxes.ToList() is not [var author])
        {
            return ValueTask.FromResult(CheckStatus.Completed);
        }

        var authentication = message.Authentication;
        if (authentication.Dmarc is { Result: AuthResult.Fail })
        {
            return ValueTask.FromResult(CheckStatus.Completed); // the author's own domain says this is not its mail
        }

        var dmarcPass = authentication.Dmarc is { Result: AuthResult.Pass } dmarc && string.Equals(dmarc.FromDomain, author.Domain, StringComparison.OrdinalIgnoreCase);
        var envelopeProven = authentication.Spf is { Result: Authentication.Spf.SpfResult.Pass }
            && string.Equals(message.Envelope.From, author.Address, StringComparison.OrdinalIgnoreCase);
        var allowedBy = lists.For(first).Where(entry => entry.Kind == SenderListKind.Allow && entry.Names(author.Address))
            .FirstOrDefault(entry => dmarcPass || (entry.Sender.Contains('@') && envelopeProven));
        if (allowedBy is not null)
        {
            message.Add(new SymbolHit(Symbol, 1.0, $"{allowedBy.Sender} allowed for {allowedBy.For}"));
        }

        return ValueTask.FromResult(CheckStatus.Completed);
    }
}
