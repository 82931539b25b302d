using Gateway.Core.Pipeline;
namespace Gateway.Core.Delivery.Smtp;

/// <summary>The downstream answered the greeting, HELO or STARTTLS with a refusal.</summary>
public sealed class DownstreamRefusedException(SmtpReply reply) : Exception($"downstream refused: {reply}")
{
    public SmtpReply Reply { get; } = reply;
}
