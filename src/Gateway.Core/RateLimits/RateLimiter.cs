using Gateway.Core.Configuration;
using Gateway.Core.State;

namespace Gateway.Core.RateLimits;

/// <summary>What the configured rate limits say about one MAIL or RCPT.</summary>
public sealed record RateLimitOutcome(IReadOnlyList<RateLimitOptions> Exceeded, bool Unavailable)
{
    public static readonly RateLimitOutcome None = new([], false);

    /// <summary>The strongest refusal among the exceeded limits (disconnect over tempfail), or null if none refuses.</summary>
    public RateLimitOptions? Refusal =>
        Exceeded.FirstOrDefault(limit => limit.Action == RateLimitAction.Disconnect) ?? Exceeded.FirstOrDefault(limit => limit.Action == RateLimitAction.TempFail);
}

/// <summary>
/// Rate limits over sliding windows, shared through the state store: transactions per client address or
/// sender domain are counted at MAIL, recipients and per-recipient messages at RCPT. A refused attempt
/// is not counted, so a sender who waits gets through.
/// </summary>
public sealed class RateLimiter(IStateStore store, IReadOnlyList<RateLimitOptions> limits, TimeProvider time)
{
    public Task<RateLimitOutcome> AtMailAsync(IPAddress client, string? sender, CancellationToken cancellationToken) =>
        ApplyAsync(limits.Where(limit => limit.Count == RateLimitCount.Messages && limit.Key != RateLimitKey.Recipient), client, sender, null, cancellationToken);

    public Task<RateLimitOutcome> AtRcptAsync(IPAddress client, string? sender, string recipient, CancellationToken cancellationToken) =>
        ApplyAsync(limits.Where(limit => limit.Count == RateLimitCount.Recipients || limit.Key == RateLimitKey.Recipient), client, sender, recipient, cancellationToken);

    private async Task<RateLimitOutcome> ApplyAsync(IEnumerable<RateLimitOptions> applicable, IPAddress client, string? sender, string? recipient, CancellationToken cancellationToken)
    {
        List<RateLimitOptions>? exceeded = null;
        var now = time.GetUtcNow();
        foreach (var limit in applicable)
        {
            var subject = limit.Key switch
            {
                RateLimitKey.ClientIp => client.ToString(),
                RateLimitKey.SenderDomain => sender is { } address && address.LastIndexOf('@') is var at and >= 0 ? address[(at + 1)..].ToLowerInvariant() : null,
                _ => recipient?.ToLowerInvariant(),
            };
            if (subject is null)
            {
                continue; // the null sender has no domain to count
            }

            try
            {
                if (!await store.TryConsumeAsync($"rate:{limit.Name}:{subject}", 1, limit.Limit, limit.Window, now, cancellationToken))
                {
                    (exceeded ??= []).Add(limit);
                }
            }
            catch (StateUnavailableException)
            {
                return new RateLimitOutcome(exceeded ?? [], Unavailable: true);
            }
        }

        return exceeded is null ? RateLimitOutcome.None : new RateLimitOutcome(exceeded, false);
    }
}
