using System.Globalization;
using System.Security.Cryptography;
using Gateway.Core.Configuration;
using Gateway.Core.State;

namespace Gateway.Core.Greylisting;

public enum GreylistResult
{
    /// <summary>A known triplet or network: go on.</summary>
    Passed,

    /// <summary>New or retried too early: 451 4.7.1, try again after <see cref="GreylistOutcome.RetryAfter"/>.</summary>
    Deferred,

    /// <summary>The state store could not be asked: the configured fallback applies.</summary>
    Unavailable,
}

public sealed record GreylistOutcome(GreylistResult Result, TimeSpan RetryAfter = default);

/// <summary>
/// Greylisting by (client network, envelope sender, recipient), as postgrey does: the first attempt is
/// deferred, a retry after <see cref="GreylistingOptions.Delay"/> passes and lets the triplet through for
/// <see cref="GreylistingOptions.PassTtl"/>; a network with enough passes is allowed as a whole. Every
/// step is one atomic store operation (first sight is SET NX), so instances sharing a store agree: the
/// first attempt may hit one gateway and the retry another.
/// </summary>
public sealed class Greylist(IStateStore store, GreylistingOptions options, TimeProvider time)
{
    public async Task<GreylistOutcome> CheckAsync(IPAddress client, string? sender, string recipient, CancellationToken cancellationToken)
    {
        var network = NetworkOf(client);
        try
        {
            if (options.AutoAllowAfter > 0 && await store.GetAsync($"grey:net:{network}", cancellationToken) is not null)
            {
                return new GreylistOutcome(GreylistResult.Passed);
            }

            var triplet = TripletKey(network, sender, recipient);
            if (await store.GetAsync($"grey:ok:{triplet}", cancellationToken) is not null)
            {
                await CountPassAsync(network, cancellationToken);
                return new GreylistOutcome(GreylistResult.Passed);
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var nowText = now.ToString(CultureInfo.InvariantCulture);
            if (options.MaxNewPerNetworkPerHour > 0
                && await store.GetAsync($"grey:seen:{triplet}", cancellationToken) is null
                && !await store.TryConsumeAsync($"grey:new:{network}", 1, options.MaxNewPerNetworkPerHour, TimeSpan.FromHours(1), time.GetUtcNow(), cancellationToken))
            {
                // Over its hourly share of new triplets: deferred, and nothing is kept for it.
                return new GreylistOutcome(GreylistResult.Deferred, options.Delay);
            }

            if (await store.AddIfAbsentAsync($"grey:seen:{triplet}", nowText, options.RetryWindow, cancellationToken))
            {
                return new GreylistOutcome(GreylistResult.Deferred, options.Delay);
            }

            var firstSeen = long.Parse(await store.GetAsync($"grey:seen:{triplet}", cancellationToken) ?? nowText, CultureInfo.InvariantCulture);
            var waited = TimeSpan.FromMilliseconds(now - firstSeen);
            if (waited < options.Delay)
            {
                return new GreylistOutcome(GreylistResult.Deferred, options.Delay - waited);
            }

            await store.SetAsync($"grey:ok:{triplet}", "1", options.PassTtl, cancellationToken);
            await CountPassAsync(network, cancellationToken);
            return new GreylistOutcome(GreylistResult.Passed);
        }
        catch (StateUnavailableException)
        {
            return new GreylistOutcome(GreylistResult.Unavailable);
        }
    }

    /// <summary>The client's network: /24 for IPv4 and /64 for IPv6 by default, as senders retry from pools.</summary>
    public string NetworkOf(IPAddress client) => Network.ClientNetwork.Of(client, options.Ipv4Prefix, options.Ipv6Prefix);

    private async Task CountPassAsync(string network, CancellationToken cancellationToken)
    {
        if (options.AutoAllowAfter > 0 && await store.IncrementAsync($"grey:passes:{network}", options.PassTtl, cancellationToken) >= options.AutoAllowAfter)
        {
            await store.SetAsync($"grey:net:{network}", "1", options.PassTtl, cancellationToken);
        }
    }

    /// <summary>A short fixed-size key: addresses are case-insensitive here, and hashing keeps odd bytes out of the store's keys.</summary>
    private static string TripletKey(string network, string? sender, string recipient)
    {
        var text = $"{network}\n{sender?.ToLowerInvariant() ?? "<>"}\n{recipient.ToLowerInvariant()}";
        return Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
    }
}
