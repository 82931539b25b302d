using System.Buffers;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Delivery;

/// <summary>
/// Where the quarantine action holds a message instead of forwarding it (Quarantine/QuarantineStore). The relay
/// answers 250 once the message is held, so this must be durable when it returns.
/// </summary>
public interface IMessageHold
{
    /// <summary>Holds the stamped message and returns the id a person will release it by.</summary>
    Task<string> HoldAsync(MessageContext context, Verdict verdict, ReadOnlySequence<byte> message, CancellationToken cancellationToken);
}
