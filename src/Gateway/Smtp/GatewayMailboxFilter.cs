using Gateway.Core.Delivery;
using Gateway.Metrics;
using Gateway.Smtp.Phases;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp;

/// <summary>
/// MAIL and RCPT: a thin adapter from SmtpServer's mailbox filter to the dialogue phases
/// (<see cref="DialogueChecks"/>). A recipient every check let through is mirrored to the downstream —
/// the first one opens its transaction — so the downstream's refusal of an unknown mailbox reaches the
/// client in-session, per recipient.
/// </summary>
/// <remarks>Every refusal is logged, one line per refused sender or recipient (a DATA verdict logs its own line).</remarks>
internal sealed partial class GatewayMailboxFilter(IDownstream downstream, DialogueChecks checks, Microsoft.Extensions.Logging.ILogger? logger = null, Core.History.IHistory? history = null) : IMailboxFilter
{
    private readonly DeferralLogThrottle _deferrals = new(TimeSpan.FromMinutes(1), TimeProvider.System);

    public async Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        try
        {
            return await CheckSenderAsync(context, from, size, cancellationToken);
        }
        catch (SmtpResponseException refused) when (logger is not null || history is not null)
        {
            var state = SessionState.Of(context);
            Remember(state, "mail", $"{from.User}@{from.Host}", [], refused);
            if (logger is null)
            {
                throw;
            }

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
        catch (SmtpResponseException refused) when (logger is not null || history is not null)
        {
            var state = SessionState.Of(context);
            Remember(state, "rcpt", state.Transaction?.MailFrom ?? string.Empty, [$"{to.User}@{to.Host}"], refused);
            if (logger is null)
            {
                throw;
            }

            var deferred = (int)refused.Response.ReplyCode is >= 400 and < 500;
            var suppressed = 0;
            if (!deferred || _deferrals.ShouldLog(state.ClientAddress, out suppressed))
            {
                if (deferred && suppressed > 0)
                {
                    Log.DeferralsNotLogged(logger, state.ClientAddress, suppressed);
                }

                Log.RecipientRefused(logger, context.SessionId, state.ClientAddress, Printable(state.Transaction?.MailFrom ?? string.Empty), Printable($"{to.User}@{to.Host}"), refused.Response.ReplyCode.ToString("D"), Printable(refused.Response.Message));
            }

            throw;
        }
    }

    /// <summary>A refused sender or recipient in the history (every one: the history is bounded, unlike the log's patience).</summary>
    private void Remember(SessionState state, string stage, string from, IReadOnlyList<string> recipients, SmtpResponseException refused) =>
        history?.Add(new Core.History.HistoryEntry(DateTimeOffset.UtcNow, stage, "refused", state.ClientAddress.ToString(), Printable(state.HeloName), Printable(from), [.. recipients.Select(Printable)],
            $"{(int)refused.Response.ReplyCode} {Printable(refused.Response.Message)}"));

    /// <summary>Addresses and replies come from the network: bounded here, escaped by the log format (<see cref="Cli.EscapingTextFormatter"/>).</summary>
    private static string Printable(string text) => text.Length <= 300 ? text : text[..300];

    private static partial class Log
    {
        [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1003, Level = Microsoft.Extensions.Logging.LogLevel.Information,
            Message = "session={SessionId} client=[{Client}] from=<{From}> refused at MAIL: {Code} {Reply}")]
        public static partial void SenderRefused(Microsoft.Extensions.Logging.ILogger logger, Guid sessionId, IPAddress client, string from, string code, string reply);

        [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1004, Level = Microsoft.Extensions.Logging.LogLevel.Information,
            Message = "session={SessionId} client=[{Client}] from=<{From}> to=<{Recipient}> refused at RCPT: {Code} {Reply}")]
        public static partial void RecipientRefused(Microsoft.Extensions.Logging.ILogger logger, Guid sessionId, IPAddress client, string from, string recipient, string code, string reply);

        [Microsoft.Extensions.Logging.LoggerMessage(EventId = 1005, Level = Microsoft.Extensions.Logging.LogLevel.Information,
            Message = "client=[{Client}]: {Count} more RCPT deferrals (4xx) in the last minute, not logged one by one")]
        public static partial void DeferralsNotLogged(Microsoft.Extensions.Logging.ILogger logger, IPAddress client, int count);
    }

    /// <summary>MAIL opens a new transaction (ending any open one); a refusal ends it again.</summary>
    private async Task<bool> CheckSenderAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        var transaction = await state.BeginTransactionAsync(from.AsAddress() is null ? null : Core.Pipeline.SmtpAddress.Format(from.User, from.Host));
        var answer = await checks.AtMailAsync(new SenderStep(state, transaction, from, size), cancellationToken);
        if (answer.IsContinue)
        {
            GatewayMetrics.Replies.WithLabels("mail", "2xx").Inc();
            return true;
        }

        await state.EndTransactionAsync();
        throw Refuse("mail", answer.Reply!, answer.Disconnect);
    }

    private async Task<bool> CheckRecipientAsync(ISessionContext context, IMailbox to, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        // SmtpServer answers RCPT without MAIL itself (503); a transaction is open here.
        var transaction = state.Transaction ?? throw Refuse("rcpt", new SmtpReply(503, "5.5.1", "MAIL first"));
        var step = new RecipientStep(state, transaction, to);
        if (await checks.AtRcptAsync(step, cancellationToken) is { IsContinue: false } answer)
        {
            throw Refuse("rcpt", answer.Reply!, answer.Disconnect);
        }

        // Every check passed: the downstream has the last word. MAIL goes with the first recipient, in
        // one write where the downstream allows it.
        var recipient = step.Recipient!;
        if (step.IsTrap)
        {
            // A spam trap has no mailbox downstream: accepted here, its DATA learned and refused (GatewayMessageStore).
            transaction.IsTrap = true;
            transaction.Accept(recipient, step.PolicyGroup, step.Route, step.AllowedSenders);
            GatewayMetrics.Replies.WithLabels("rcpt", "2xx").Inc();
            return true;
        }

        SmtpReply reply;
        if (transaction.Downstream is null)
        {
            var opened = await downstream.BeginAsync(transaction.MailFrom, transaction.MailParameters, cancellationToken, recipient);
            transaction.Downstream = opened.Transaction ?? throw Refuse("rcpt", opened.Reply);
            reply = opened.FirstRecipient!;
        }
        else
        {
            reply = await transaction.Downstream.AddRecipientAsync(recipient, cancellationToken);
        }

        if (!reply.IsPositive)
        {
            throw Refuse("rcpt", reply);
        }

        transaction.Accept(recipient, step.PolicyGroup, step.Route, step.AllowedSenders);
        GatewayMetrics.Replies.WithLabels("rcpt", "2xx").Inc();
        return true;
    }

    /// <summary>SmtpServer writes the reply of a thrown SmtpResponseException; it counts as a refusal, not a protocol error.</summary>
    private static SmtpResponseException Refuse(string stage, SmtpReply reply, bool quit = false)
    {
        GatewayMetrics.Replies.WithLabels(stage, SmtpReplies.Class(reply)).Inc();
        return SessionErrors.Refusal(SmtpReplies.ToResponse(reply), quit);
    }
}
