using Gateway.Core.Delivery;
using Gateway.Metrics;
using Gateway.Smtp.Phases;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Gateway.Smtp;

/// <summary>
/// MAIL and RCPT: a thin adapter from SmtpServer's mailbox filter to the dialogue phases
/// (<see cref="DialogueChecks"/>). A recipient every check let through is mirrored to the downstream —
/// the first one opens its transaction — so the downstream's refusal of an unknown mailbox reaches the
/// client in-session, per recipient.
/// </summary>
/// <remarks>Every refusal is logged, one line per refused sender or recipient (a DATA verdict logs its own line).</remarks>
internal sealed partial class GatewayMailboxFilter(IDownstream downstream, DialogueChecks checks, Microsoft.Extensions.Logging.ILogger? logger = null) : IMailboxFilter
{
    private readonly DeferralLogThrottle _deferrals = new(TimeSpan.FromMinutes(1), TimeProvider.System);

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
            var deferred = (int)refused.Response.ReplyCode is >= 400 and < 500;
            var suppressed = 0;
            if (!deferred || _deferrals.ShouldLog(state.ClientAddress, out suppressed))
            {
                if (deferred && suppressed > 0)
                {
                    Log.DeferralsNotLogged(logger, state.ClientAddress, suppressed);
                }

                Log.RecipientRefused(logger, context.SessionId, state.ClientAddress, Printable(state.MailFrom ?? string.Empty), Printable($"{to.User}@{to.Host}"), refused.Response.ReplyCode.ToString("D"), Printable(refused.Response.Message));
            }

            throw;
        }
    }

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

    private async Task<bool> CheckSenderAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        await state.EndTransactionAsync();
        var answer = await checks.AtMailAsync(new SenderStep(state, from, size), cancellationToken);
        return answer.IsContinue ? true : throw Refuse(answer.Reply!, answer.Disconnect);
    }

    private async Task<bool> CheckRecipientAsync(ISessionContext context, IMailbox to, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        var step = new RecipientStep(state, to);
        if (await checks.AtRcptAsync(step, cancellationToken) is { IsContinue: false } answer)
        {
            throw Refuse(answer.Reply!, answer.Disconnect);
        }

        // Every check passed: the downstream has the last word. MAIL goes with the first recipient, in
        // one write where the downstream allows it.
        var recipient = step.Recipient!;
        SmtpReply reply;
        if (state.Downstream is null)
        {
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
        state.PolicyGroup = step.PolicyGroup;
        state.Route = step.Route;
        GatewayMetrics.Replies.WithLabels("rcpt", "2xx").Inc();
        return true;
    }

    /// <summary>SmtpServer writes the reply of a thrown SmtpResponseException; it counts as a refusal, not a protocol error.</summary>
    private static SmtpResponseException Refuse(SmtpReply reply, bool quit = false)
    {
        GatewayMetrics.Replies.WithLabels("rcpt", SmtpReplies.Class(reply)).Inc();
        return SessionErrors.Refusal(SmtpReplies.ToResponse(reply), quit);
    }
}
