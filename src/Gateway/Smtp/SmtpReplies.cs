using Gateway.Core.Delivery;
using SmtpServer.Protocol;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp;

/// <summary>
/// The gateway's own fixed replies, as <see cref="SmtpReply"/> values: the one reply type for every
/// answer we write — through SmtpServer (<see cref="ToResponse"/>) or on the raw stream by the admission
/// listener and the stream guard (<see cref="SmtpReply.ToString"/> is the wire line without CRLF).
/// </summary>
internal static class SmtpReplies
{
    public static SmtpReply MessageTooBig(int limit) => new(552, "5.3.4", $"Message size exceeds fixed maximum message size of {limit} bytes");

    /// <summary>limits.max_message_memory is spent (RFC 1870 6.1, RFC 3463 4.3.1): the sender keeps the message and retries.</summary>
    public static readonly SmtpReply OutOfMessageMemory = new(452, "4.3.1", "Insufficient system storage: too much mail in progress here, try again later");

    public static readonly SmtpReply TooManyConnections = new(421, "4.7.0", "Too many connections, try again later");

    public static readonly SmtpReply TooManyConnectionsFromYou = new(421, "4.7.0", "Too many connections from your address, try again later");

    public static readonly SmtpReply ShuttingDown = new(421, "4.3.2", "Service shutting down, try again later");

    public static readonly SmtpReply Bye = new(221, "2.0.0", "Bye");

    public static readonly SmtpReply NoServiceHere = new(503, "5.7.1", "No SMTP service here: send QUIT");

    public static readonly SmtpReply TooManyErrors = new(421, "4.7.0", "Too many errors, closing connection");

    public static readonly SmtpReply CommandTimeout = new(421, "4.4.2", "Timeout waiting for command, closing connection");

    public static readonly SmtpReply DataTooSlow = new(421, "4.4.2", "Data arriving too slowly, closing connection");

    public static SmtpReply LineTooLong(int limit) => new(500, "5.5.2", $"Line too long (at most {limit} bytes), closing connection");

    public static string Class(SmtpReply reply) => $"{reply.Code / 100}xx";

    public static SmtpResponse ToResponse(SmtpReply reply) => new((SmtpReplyCode)reply.Code, $"{reply.EnhancedCode} {reply.Text}");
}
