using Gateway.Core.Authentication.Spf;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Scoring;
using Gateway.Metrics;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Gateway.Smtp;

/// <summary>
/// MAIL and RCPT. Recipients outside our domains are relay-denied (we are never an open relay); the
/// first accepted recipient opens the downstream transaction, and every RCPT is mirrored there so the
/// downstream's refusal of an unknown mailbox reaches the client in-session, per recipient.
/// </summary>
/// <remarks>Every refusal is logged, one line per refused sender or recipient (a DATA verdict logs its own line).</remarks>
internal sealed partial class GatewayMailboxFilter(GatewayOptions options, IDownstream downstream, SpfEvaluator? spf, IDnsResolver? dns, Func<ScoringPolicy> policy, IDnsListMonitor? dnsLists = null, SharedStateChecks? sharedState = null, Microsoft.Extensions.Logging.ILogger? logger = null) : IMailboxFilter
{
    public async Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        try
        {
            return await CheckSenderAsync(context, from, size, cancellationToken);
        }
        catch (SmtpResponseException refused) when (logger is not null)
        {
            var state = SessionState.Of(context);
            Log.SenderRefused(logger, context.SessionId, state.ClientAddress, Printable($"{from.User}@{from.Host}"), refused.Response.ReplyCode.ToString("D"), Printable(refused.Response.Message));
            throw;
        }
    }

    public async Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
    {
        try
        {
            return await CheckRecipientAsync(context, to, cancellationToken);
        }
        catch (SmtpResponseException refused) when (logger is not null)
        {
            var state = SessionState.Of(context);
            Log.RecipientRefused(logger, context.SessionId, state.ClientAddress, Printable(state.MailFrom ?? string.Empty), Printable($"{to.User}@{to.Host}"), refused.Response.ReplyCode.ToString("D"), Printable(refused.Response.Message));
            throw;
        }
    }

    /// <summary>Addresses and replies come from the network: one log line stays one line whatever they hold.</summary>
    private static string Printable(string text) => new([.. text.Take(300).Select(c => char.IsControl(c) ? '?' : c)]);

    private static partial class Log
    {
        [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1003, Level = Microsoft.Extensions.Logging.LogLevel.Information,
            Message = "session={SessionId} client=[{Client}] from=<{From}> refused at MAIL: {Code} {Reply}")]
        public static partial void SenderRefused(Microsoft.Extensions.Logging.ILogger logger, Guid sessionId, IPAddress client, string from, string code, string reply);

        [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1004, Level = Microsoft.Extensions.Logging.LogLevel.Information,
            Message = "session={SessionId} client=[{Client}] from=<{From}> to=<{Recipient}> refused at RCPT: {Code} {Reply}")]
        public static partial void RecipientRefused(Microsoft.Extensions.Logging.ILogger logger, Guid sessionId, IPAddress client, string from, string recipient, string code, string reply);
    }

    private async Task<bool> CheckSenderAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        await state.EndTransactionAsync();
        if (size > options.Limits.MaxMessageSize)
        {
            throw Refuse(SmtpReplies.MessageTooBig(options.Limits.MaxMessageSize));
        }

        // The parameters we mirror downstream must be what they claim to be: SmtpServer reads a SIZE too big
        // for an int as 0, and would pass BODY=anything on.
        if (MailParameters.Check(state.MailParameters, options.Limits.MaxMessageSize) is { } badParameter)
        {
            throw Refuse(badParameter);
        }

        // The null sender stays null; any other is kept in the form it goes downstream in (quoted as needed).
        state.MailFrom = from.AsAddress() is null
            ? null
            : SmtpAddress.Format(from.User, from.Host) ?? throw Refuse(new SmtpReply(553, "5.1.7", "Bad sender address syntax"));
        if (sharedState is not null && await sharedState.AtMailAsync(state, cancellationToken) is { } limited)
        {
            throw Refuse(limited.Reply, limited.Quit);
        }

        // SPF has all it needs now (client IP, HELO, MAIL FROM): start it, so its DNS queries overlap the
        // rest of the dialogue. The DATA-phase check awaits this result; nothing is decided here.
        if (spf is not null)
        {
            state.StartSpf(token => spf.CheckAsync(state.ClientAddress, state.HeloName, state.MailFrom, token), options.Limits.CheckTimeout, cancellationToken);
        }

        // Reverse DNS once per session (rules can test connection.rdns), also overlapping the dialogue.
        if (dns is not null)
        {
            state.ReverseName ??= ReverseDns.ConfirmedNameAsync(dns, state.ClientAddress, cancellationToken);
        }
        return true;
    }

    private async Task<bool> CheckRecipientAsync(ISessionContext context, IMailbox to, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        if (!options.AcceptsDomain(to.Host ?? string.Empty))
        {
            throw Refuse(new SmtpReply(550, "5.7.1", "Relay access denied"));
        }

        // A downstream that trusts us would route user%other@ours, other!user@ours and "user@other"@ours
        // on to the other domain: an open relay through it.
        if (SmtpAddress.HasRouting(to.User) && !options.AllowsRoutingFor(to.Host!))
        {
            throw Refuse(new SmtpReply(550, "5.7.1", "Routing characters (%, !, @) in the recipient's local part are not accepted here"));
        }

        var recipient = SmtpAddress.Format(to.User, to.Host!) ?? throw Refuse(new SmtpReply(553, "5.1.3", "Bad recipient address syntax"));

        if (state.Recipients.Count >= options.Limits.MaxRecipients)
        {
            throw Refuse(new SmtpReply(452, "4.5.3", "Too many recipients"));
        }

        // One policy group per transaction, so each gets its own verdict: the others come back in another
        // (452 asks for a retry later, as for too many recipients; the sender loses nothing).
        var group = policy().GroupOf(recipient);
        if (state.PolicyGroup is { } current && current != group)
        {
            throw Refuse(new SmtpReply(452, "4.5.3", $"Recipients of another policy group ({group}): please send to them in a separate transaction"));
        }

        // One downstream route per transaction too (its downstream transaction is on one server).
        var route = downstream.RouteOf(recipient) ?? throw Refuse(DeliveryReplies.NoRoute);
        if (state.Route is { } currentRoute && currentRoute != route)
        {
            throw Refuse(new SmtpReply(452, "4.5.3", "Recipients delivered to another mail server: please send to them in a separate transaction"));
        }

        if (state.Downstream is null && await EarlyRefusalAsync(state, cancellationToken) is { } refusal)
        {
            throw Refuse(refusal);
        }

        // Greylisting and rate limits before the downstream hears of this recipient.
        if (sharedState is not null && await sharedState.AtRcptAsync(state, recipient, cancellationToken) is { } deferred)
        {
            throw Refuse(deferred.Reply, deferred.Quit);
        }

        SmtpReply reply;
        if (state.Downstream is null)
        {
            // MAIL goes downstream with the first recipient, in one write where the downstream allows it.
            var opened = await downstream.BeginAsync(state.MailFrom, state.MailParameters, cancellationToken, recipient);
            state.Downstream = opened.Transaction ?? throw Refuse(opened.Reply);
            reply = opened.FirstRecipient!;
        }
        else
        {
            reply = await state.Downstream.AddRecipientAsync(recipient, cancellationToken);
        }
        if (!reply.IsPositive)
        {
            throw Refuse(reply);
        }

        state.Recipients.Add(recipient);
        state.PolicyGroup = group;
        state.Route = route;
        GatewayMetrics.Replies.WithLabels("rcpt", "2xx").Inc();
        return true;
    }

    /// <summary>
    /// Postscreen-style: ip lists with reject_at: rcpt refuse a listed client before any content is read,
    /// once per session. DNS errors and error answers never refuse.
    /// </summary>
    private async Task<SmtpReply?> EarlyRefusalAsync(SessionState state, CancellationToken cancellationToken)
    {
        if (dns is null)
        {
            return null;
        }

        state.EarlyRefusal ??= LookupAsync();
        return await state.EarlyRefusal;

        Task<SmtpReply?> LookupAsync() => DnsListRefusal.CheckAsync(dns, policy(), state.ClientAddress, DnsListRejectAt.Rcpt, cancellationToken, dnsLists);
    }

    /// <summary>SmtpServer writes the reply of a thrown SmtpResponseException; it counts as a refusal, not a protocol error.</summary>
    private static SmtpResponseException Refuse(SmtpReply reply, bool quit = false)
    {
        GatewayMetrics.Replies.WithLabels("rcpt", SmtpReplies.Class(reply)).Inc();
        return SessionErrors.Refusal(SmtpReplies.ToResponse(reply), quit);
    }
}
