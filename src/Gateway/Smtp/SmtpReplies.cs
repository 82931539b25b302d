using Gateway.Core.Delivery;
using SmtpServer.Protocol;

namespace Gateway.Smtp;

internal static class SmtpReplies
{
    public static SmtpReply MessageTooBig(int limit) => new(552, "5.3.4", $"Message size exceeds fixed maximum message size of {limit} bytes");

    public static string Class(SmtpReply reply) => $"{reply.Code / 100}xx";

    public static SmtpResponse ToResponse(SmtpReply reply) => new((SmtpReplyCode)reply.Code, $"{reply.EnhancedCode} {reply.Text}");
}
