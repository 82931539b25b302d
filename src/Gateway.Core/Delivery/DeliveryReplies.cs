using Gateway.Core.Pipeline;
namespace Gateway.Core.Delivery;

/// <summary>
/// What the client is told when the downstream cannot take the message (ARCHITECTURE.md, before-queue
/// semantics): its 5xx passes through; anything temporary becomes 451 4.4.x so the sender keeps the
/// message and retries.
/// </summary>
public static class DeliveryReplies
{
    public static readonly SmtpReply Unreachable = new(451, "4.4.1", "Downstream server unreachable, try again later");
    public static readonly SmtpReply ConnectionLost = new(451, "4.4.2", "Connection to downstream server lost, try again later");
    public static readonly SmtpReply TimedOut = new(451, "4.4.7", "Downstream server did not answer in time, try again later");
    public static readonly SmtpReply TlsFailed = new(451, "4.7.5", "TLS to the downstream server failed (downstream.tls), try again later");
    public static readonly SmtpReply NoRoute = new(451, "4.3.5", "No downstream route for this recipient's domain (downstream.routes), try again later");
    public static readonly SmtpReply LocalError = new(451, "4.3.0", "Local error in processing, try again later");

    /// <summary>The final reply to DATA, mapped for the client.</summary>
    public static SmtpReply ForData(SmtpReply downstream) =>
        downstream.IsTransient ? new SmtpReply(451, "4.4.0", $"Downstream deferred: {downstream.Code} {downstream.EnhancedCode} {downstream.Text}") : downstream;

    /// <summary>
    /// The downstream refused the session itself (its greeting, EHLO/HELO or a required STARTTLS): that is
    /// its trouble, not the sender's, and must never become a permanent refusal of the sender's message.
    /// </summary>
    public static SmtpReply ForSessionRefusal(SmtpReply downstream) =>
        new(451, "4.4.0", $"Downstream server not accepting mail now ({downstream.Code} {downstream.Text}), try again later");

    /// <summary>Maps an I/O failure talking to the downstream.</summary>
    public static SmtpReply ForFailure(Exception exception) => exception switch
    {
        TimeoutException => TimedOut,
        OperationCanceledException => TimedOut,
        System.Net.Sockets.SocketException => Unreachable,
        _ => ConnectionLost,
    };
}
