using Gateway.Core.Pipeline;
namespace Gateway.Core.Delivery;

/// <summary>
/// Where accepted mail goes. A transaction is opened when the first recipient is accepted, so the
/// downstream can verify each recipient while the client is still in the dialogue.
/// </summary>
public interface IDownstream : IAsyncDisposable
{
    /// <summary>
    /// Opens a transaction and sends MAIL FROM. On refusal the reply says what the client is told. With a
    /// <paramref name="firstRecipient"/>, its RCPT goes too (in the same write when the server offers
    /// PIPELINING, saving a round trip per message) and its reply is in the result once MAIL was accepted.
    /// </summary>
    Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient = null);

    /// <summary>
    /// The route a recipient's mail takes (downstream.routes): one transaction keeps to one, so a recipient
    /// of another waits for its own transaction. Null: no route takes the recipient's domain.
    /// </summary>
    string? RouteOf(string recipient) => string.Empty;
}

/// <summary>The downstream's answer to MAIL (<see cref="Reply"/>) and, when one was sent with it, to the first RCPT.</summary>
public sealed record DownstreamOpenResult(IDownstreamTransaction? Transaction, SmtpReply Reply, SmtpReply? FirstRecipient = null);

/// <summary>One MAIL transaction downstream. Disposing one that was not sent aborts it (RSET).</summary>
public interface IDownstreamTransaction : IAsyncDisposable
{
    /// <summary>Mirrors one RCPT TO; the reply is the downstream's, to be passed on to the client.</summary>
    Task<SmtpReply> AddRecipientAsync(string recipient, CancellationToken cancellationToken);

    /// <summary>Sends the message (raw bytes, any line endings) and returns the reply for the client.</summary>
    Task<SmtpReply> SendAsync(System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken);
}
