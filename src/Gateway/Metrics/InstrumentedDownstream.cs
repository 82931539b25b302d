using System.Diagnostics;
using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Metrics;

/// <summary>Times DATA at the downstream and counts its troubles, by wrapping the delivery seam.</summary>
internal sealed class InstrumentedDownstream(IDownstream inner) : IDownstream
{
    public async Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient = null)
    {
        var opened = await inner.BeginAsync(sender, mailParameters, cancellationToken, firstRecipient);
        if (opened.Transaction is null)
        {
            Count(opened.Reply);
            return opened;
        }

        return opened with { Transaction = new Transaction(opened.Transaction) };
    }

    public string? RouteOf(string recipient) => inner.RouteOf(recipient);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    /// <summary>Classifies a failure reply: our own 4.4.x codes name the kind; others are the downstream's answer.</summary>
    internal static void Count(SmtpReply reply)
    {
        if (reply.IsPositive)
        {
            return;
        }

        var kind = reply.EnhancedCode switch
        {
            "4.4.1" => "unreachable",
            "4.4.7" => "timeout",
            "4.4.2" => "lost",
            "4.7.5" => "tls",
            _ when reply.IsTransient => "deferred",
            _ => "rejected",
        };
        GatewayMetrics.DownstreamErrors.WithLabels(kind).Inc();
    }

    private sealed class Transaction(IDownstreamTransaction inner) : IDownstreamTransaction
    {
        public Task<SmtpReply> AddRecipientAsync(string recipient, CancellationToken cancellationToken) => inner.AddRecipientAsync(recipient, cancellationToken);

        public async Task<SmtpReply> SendAsync(System.Buffers.ReadOnlySequence<byte> message, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            var reply = await inner.SendAsync(message, cancellationToken);
            GatewayMetrics.DownstreamDuration.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            Count(reply);
            return reply;
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
