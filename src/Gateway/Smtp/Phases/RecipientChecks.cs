using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Scoring;

namespace Gateway.Smtp.Phases;

/// <summary>Recipients outside our domains: 550 5.7.1 Relay access denied. We are never an open relay.</summary>
internal sealed class RelayCheck(GatewayOptions options) : IRecipientCheck
{
    public const string CheckName = "relay";

    public string Name => CheckName;

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken) =>
        ValueTask.FromResult(options.AcceptsDomain(step.Mailbox.Host ?? string.Empty) ? DialogueOutcome.Continue : DialogueOutcome.Refuse(new SmtpReply(550, "5.7.1", "Relay access denied")));
}

/// <summary>
/// A downstream that trusts us would route user%other@ours, other!user@ours and "user@other"@ours on to
/// the other domain: an open relay through it. Only domains in allow_untrusted_routing may use them.
/// </summary>
internal sealed class RoutingCharactersCheck(GatewayOptions options) : IRecipientCheck
{
    public string Name => "routing-characters";

    public IReadOnlyList<string> DependsOn => [RelayCheck.CheckName];

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken) =>
        ValueTask.FromResult(SmtpAddress.HasRouting(step.Mailbox.User) && !options.AllowsRoutingFor(step.Mailbox.Host!)
            ? DialogueOutcome.Refuse(new SmtpReply(550, "5.7.1", "Routing characters (%, !, @) in the recipient's local part are not accepted here"))
            : DialogueOutcome.Continue);
}

/// <summary>An address with no valid form to send downstream: 553 5.1.3.</summary>
internal sealed class RecipientAddressCheck : IRecipientCheck
{
    public const string CheckName = "recipient-address";

    public string Name => CheckName;

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken) =>
        ValueTask.FromResult(
            step.Recipient is null ? DialogueOutcome.Refuse(new SmtpReply(553, "5.1.3", "Bad recipient address syntax"))
            : SenderAddressCheck.Utf8Undeclared(step.Transaction, step.Recipient) ?? DialogueOutcome.Continue);
}

/// <summary>More than limits.max_recipients in one transaction: 452 4.5.3 (the sender sends the rest later).</summary>
internal sealed class RecipientLimitCheck(LimitsOptions limits) : IRecipientCheck
{
    public string Name => "recipient-limit";

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken) =>
        ValueTask.FromResult(step.Transaction.Recipients.Count >= limits.MaxRecipients ? DialogueOutcome.Refuse(new SmtpReply(452, "4.5.3", "Too many recipients")) : DialogueOutcome.Continue);
}

/// <summary>
/// One policy group per transaction, so each gets its own verdict: the others come back in another
/// (452 asks for a retry later, as for too many recipients; the sender loses nothing).
/// </summary>
internal sealed class PolicyGroupCheck(Func<ScoringPolicy> policy) : IRecipientCheck
{
    public string Name => "policy-group";

    public IReadOnlyList<string> DependsOn => [RecipientAddressCheck.CheckName];

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
    {
        step.PolicyGroup = policy().GroupOf(step.Recipient!);
        return ValueTask.FromResult(step.Transaction.PolicyGroup is { } current && current != step.PolicyGroup
            ? DialogueOutcome.Refuse(new SmtpReply(452, "4.5.3", $"Recipients of another policy group ({step.PolicyGroup}): please send to them in a separate transaction"))
            : DialogueOutcome.Continue);
    }
}

/// <summary>
/// Spam traps (fuzzy.traps) take a transaction of their own, like a policy group: their mail is learned and
/// refused, everyone else's delivered, and one DATA answer cannot do both.
/// </summary>
internal sealed class SpamTrapCheck(FuzzyOptions fuzzy) : IRecipientCheck
{
    public string Name => "spam-trap";

    public IReadOnlyList<string> DependsOn => [RecipientAddressCheck.CheckName];

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
    {
        step.IsTrap = fuzzy.IsTrap(step.Recipient!);
        return ValueTask.FromResult(step.Transaction.Recipients.Count > 0 && step.Transaction.IsTrap != step.IsTrap
            ? DialogueOutcome.Refuse(new SmtpReply(452, "4.5.3", "Please send to this recipient in a separate transaction"))
            : DialogueOutcome.Continue);
    }
}

/// <summary>
/// The recipients' sender lists (<c>gateway lists</c>, the web console): a block of the envelope sender refuses
/// this recipient only, 550 5.7.1, and the others of the message still get it. Recipients whose allow entries
/// differ are split the way policy groups are (452 4.5.3 for the later ones), so one DATA verdict fits them all.
/// </summary>
internal sealed class SenderListCheck(Core.SenderLists.ISenderLists lists) : IRecipientCheck
{
    public string Name => "sender-lists";

    public IReadOnlyList<string> DependsOn => [RecipientAddressCheck.CheckName];

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
    {
        var entries = lists.For(step.Recipient!);
        if (entries.Any(entry => entry.Kind == Core.SenderLists.SenderListKind.Block && entry.Names(step.Transaction.MailFrom)))
        {
            return ValueTask.FromResult(DialogueOutcome.Refuse(new SmtpReply(550, "5.7.1", $"<{step.Recipient}>: the recipient does not accept mail from this sender")));
        }

        step.AllowedSenders = string.Join(' ', entries.Where(entry => entry.Kind == Core.SenderLists.SenderListKind.Allow).Select(entry => entry.Sender).Order(StringComparer.Ordinal));
        return ValueTask.FromResult(step.Transaction.Recipients.Count > 0 && step.Transaction.AllowedSenders != step.AllowedSenders
            ? DialogueOutcome.Refuse(new SmtpReply(452, "4.5.3", "Recipients with other sender lists: please send to them in a separate transaction"))
            : DialogueOutcome.Continue);
    }
}

/// <summary>One downstream route per transaction too (its downstream transaction is on one server); no route at all: 451 4.3.5.</summary>
internal sealed class DownstreamRouteCheck(IDownstream downstream) : IRecipientCheck
{
    public string Name => "downstream-route";

    public IReadOnlyList<string> DependsOn => [RecipientAddressCheck.CheckName];

    public ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
    {
        step.Route = downstream.RouteOf(step.Recipient!);
        return ValueTask.FromResult(step.Route switch
        {
            null => DialogueOutcome.Refuse(DeliveryReplies.NoRoute),
            var route when step.Transaction.Route is { } current && current != route => DialogueOutcome.Refuse(new SmtpReply(452, "4.5.3", "Recipients delivered to another mail server: please send to them in a separate transaction")),
            _ => DialogueOutcome.Continue,
        });
    }
}

/// <summary>
/// Postscreen-style: ip lists with reject_at: rcpt refuse a listed client before any content is read,
/// looked up once per session, at the first recipient. DNS errors and error answers never refuse.
/// </summary>
internal sealed class DnsListAtRcptCheck(IDnsResolver dns, Func<ScoringPolicy> policy, IDnsListMonitor? monitor) : IRecipientCheck
{
    public string Name => "dnslist";

    public async ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
    {
        var state = step.Session;
        if (step.Transaction.Downstream is not null)
        {
            return DialogueOutcome.Continue;
        }

        var current = policy(); // one snapshot: its lists and its weights
        state.EarlyRefusal ??= DnsListRefusal.CheckAsync(dns, current.Lists, current.WeightOf, state.ClientAddress, DnsListRejectAt.Rcpt, cancellationToken, monitor);
        return await state.EarlyRefusal is { } refusal ? DialogueOutcome.Refuse(refusal) : DialogueOutcome.Continue;
    }
}

/// <summary>
/// Ip lists with reject_at: connect (postscreen-style): a listed client hears 554 5.7.1 and the list's
/// message instead of the greeting. DNS errors and error answers never refuse; the DATA phase still
/// scores every list (the answers come from the DNS cache then).
/// </summary>
internal sealed class DnsListAtConnectCheck(IDnsResolver dns, Func<ScoringPolicy> policy, IDnsListMonitor? monitor) : IConnectCheck
{
    public string Name => "dnslist";

    public async ValueTask<DialogueOutcome> CheckAsync(IPAddress client, CancellationToken cancellationToken)
    {
        var current = policy(); // one snapshot: its lists and its weights
        return await DnsListRefusal.CheckAsync(dns, current.Lists, current.WeightOf, client, DnsListRejectAt.Connect, cancellationToken, monitor) is { } refusal
            ? DialogueOutcome.Refuse(refusal)
            : DialogueOutcome.Continue;
    }
}
