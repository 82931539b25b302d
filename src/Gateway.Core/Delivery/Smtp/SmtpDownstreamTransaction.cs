using Gateway.Core.Pipeline;
namespace Gateway.Core.Delivery.Smtp;

/// <summary>One mirrored transaction on a downstream connection: RCPT as they come, DATA at the end.</summary>
internal sealed class SmtpDownstreamTransaction(SmtpDownstream owner, SmtpClientConnection connection) : IDownstreamTransaction
{
    private bool _finished;

    public async Task<SmtpReply> AddRecipientAsync(string recipient, CancellationToken cancellationToken)
    {
        if (SmtpUtf8.Needed(recipient) && !connection.Extensions.ContainsKey("SMTPUTF8"))
        {
            return SmtpUtf8.NotSupported;
        }

        try
        {
            return await connection.CommandAsync(RcptCommand(recipient), cancellationToken);
        }
        catch (Exception exception) when (SmtpDownstream.IsConnectionFailure(exception))
        {
            owner.ConnectionFailed(exception, cancellationToken);
            return DeliveryReplies.ForFailure(exception);
        }
    }

    internal static string RcptCommand(string recipient) => $"RCPT TO:<{recipient}>";

    public async Task<SmtpReply> SendAsync(System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await connection.SendMessageAsync(message, cancellationToken);
            _finished = reply.Code == 250;
            return DeliveryReplies.ForData(reply);
        }
        catch (Exception exception) when (SmtpDownstream.IsConnectionFailure(exception))
        {
            // We cannot know whether the downstream kept the message; the client retries, and a duplicate
            // is the lesser harm than a loss (RFC 5321 6.1).
            owner.ConnectionFailed(exception, cancellationToken);
            return DeliveryReplies.ForFailure(exception);
        }
    }

    public async ValueTask DisposeAsync() => await owner.ReleaseAsync(connection, needsReset: !_finished);
}
