using Gateway.Core.Configuration;
using SmtpServer;
using SmtpServer.Protocol;

namespace Gateway.Smtp;

/// <summary>
/// When a session has erred too often, counted as Postfix counts and not as SmtpServer does. SmtpServer
/// ends a session after a few failed commands in a row, refusals included, and silently; it would drop a
/// sender after five unknown recipients. Here the kinds are kept apart:
/// <list type="bullet">
/// <item>protocol errors (unknown command, bad syntax, wrong sequence): limits.max_errors in a row, any
/// accepted command starting the count over;</item>
/// <item>permanent (5xx) refusals of MAIL and RCPT (relay denied, the downstream's unknown user, bad
/// syntax): limits.max_refusals without a message accepted in between, as Postfix's
/// smtpd_hard_error_limit counts "errors without delivering mail". Temporary ones (452 for recipients
/// over a limit or of another route, greylisting, rate limits) do not count there: they end a session
/// only after <see cref="MaxDeferralsInARow"/> in a row.</item>
/// </list>
/// The reply that crosses a limit is written as it is, then 421 4.7.0 and the connection closes.
/// </summary>
internal static class SessionErrors
{
    /// <summary>Marks an exception as a refusal of ours (not a protocol error) for the count.</summary>
    private const string RefusalKey = "Gateway:Refusal";

    private static readonly IReadOnlyDictionary<string, object> RefusalProperties = new Dictionary<string, object> { [RefusalKey] = true };

    /// <summary>A MAIL or RCPT refusal of ours, as SmtpServer writes it.</summary>
    public static SmtpResponseException Refusal(SmtpResponse response, bool quit) => new(response, quit, RefusalProperties);

    public static void Watch(ISessionContext context, SessionState state, LimitsOptions limits)
    {
        context.ResponseException += (_, args) =>
        {
            if (args.Exception.IsQuitRequested)
            {
                return;
            }

            bool crossed;
            if (args.Exception.Properties.ContainsKey(RefusalKey))
            {
                // Only permanent refusals count (relay denied, unknown user, bad syntax: what an address
                // harvester collects). A 4xx is ours asking the client to come back — 452 for recipients
                // over max_recipients or of another route or policy group, greylisting — and a legitimate
                // message to 150 recipients must not be cut off for it, nor each of its retries.
                crossed = (int)args.Exception.Response.ReplyCode >= 500
                    ? ++state.Refusals > limits.MaxRefusals
                    : ++state.Deferrals > MaxDeferralsInARow;
            }
            else
            {
                crossed = ++state.ProtocolErrors >= limits.MaxErrors;
            }

            if (crossed)
            {
                Admission.ClientPipe.GuardOf(context)?.CloseAfterReply(SmtpReplies.TooManyErrors);
            }
        };
        context.CommandExecuted += (_, _) =>
        {
            state.ProtocolErrors = 0;
            state.Deferrals = 0;
        };
    }

    /// <summary>
    /// Our own 4xx answers in a row before the session is closed all the same: far more than any real
    /// message needs (Postfix's smtpd_recipient_overshoot_limit is 1000), but not without end.
    /// </summary>
    public const int MaxDeferralsInARow = 1000;

    /// <summary>
    /// SmtpServer's own backstop, which counts every failed command in a row: above all three of ours, so
    /// that ours, with a proper 421, always comes first.
    /// </summary>
    public static int LibraryRetryLimit(LimitsOptions limits) => limits.MaxErrors + limits.MaxRefusals + MaxDeferralsInARow + 1;
}
