namespace Gateway.Core.Network;

/// <summary>
/// A timeout linked to a caller's token for one operation at a time on one connection (a downstream
/// command, its write or its reply), reused from one operation to the next instead of a new linked
/// source with its own timer each time (such sources were ~2 % of the gateway's CPU per relayed
/// message, bench/RESULTS.md). Not thread-safe;
/// the owner disposes it with the connection (an armed timer would otherwise keep it alive until it fires).
/// Only for callers whose token's source is never reset with <see cref="CancellationTokenSource.TryReset"/>
/// (a pipe reader's is): a reset drops the link made to it, and its cancellation would stop reaching us.
/// </summary>
public sealed class ReusableTimeout : IDisposable
{
    private CancellationTokenSource? _source;
    private CancellationToken _linkedTo;

    /// <summary>A token cancelled when <paramref name="cancellationToken"/> is, or after <paramref name="timeout"/> from now.</summary>
    public CancellationToken Start(CancellationToken cancellationToken, TimeSpan timeout)
    {
        // TryReset stops the previous operation's timer; it fails once the source was cancelled (a timeout
        // fired, or the linked token), and then a fresh source is made.
        if (_source is null || _linkedTo != cancellationToken || !_source.TryReset())
        {
            _source?.Dispose();
            _source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            _linkedTo = cancellationToken;
        }

        _source.CancelAfter(timeout);
        return _source.Token;
    }

    public void Dispose()
    {
        _source?.Dispose();
        _source = null;
    }
}
