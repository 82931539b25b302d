namespace Gateway.Core.Delivery;

/// <summary>
/// Where accepted mail goes. A transaction is opened when the first recipient is accepted, so the
/// downstream can verify each recipient while the client is still in the dialogue.
/// </summary>
public interface IDownstream : IAsyncDisposable
{
    /// <summary>Opens a transaction and sends MAIL FROM. On refusal the reply says what the client is told.</summary>
    Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken);
}

public sealed record DownstreamOpenResult(IDownstreamTransaction? Transaction, SmtpReply Reply);

/// <summary>One MAIL transaction downstream. Disposing one that was not sent aborts it (RSET).</summary>
public interface IDownstreamTransaction : IAsyncDisposable
{
    /// <summary>Mirrors one RCPT TO; the reply is the downstream's, to be passed on to the client.</summary>
    Task<SmtpReply> AddRecipientAsync(string recipient, CancellationToken cancellationToken);

    /// <summary>Sends the message (raw bytes, any line endings) and returns the reply for the client.</summary>
    Task<SmtpReply> SendAsync(System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken);
}
