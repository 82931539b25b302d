using System.Collections.Concurrent;

namespace Gateway.Core.Learning;

/// <summary>
/// Token counts read from a shared store, remembered for a few seconds: common words and pairs come back
/// in message after message, and a message whose tokens are all known needs no round trip at all (under
/// load on two cores the round trip, not Redis's work, was the site check's 3 ms; bench/RESULTS.md, "Site
/// learning"). The learned totals are kept as long as the counts; what this instance learns or forgets
/// is dropped from the cache at once, and what another instance learns shows here within
/// <c>learning.cache_ttl</c>.
/// </summary>
public sealed class CachedSiteTokenStore(ISiteTokenStore inner, TimeSpan ttl, TimeProvider time, int maxEntries = 500_000) : ISiteTokenStore
{
    private readonly ConcurrentDictionary<ulong, (TokenCounts Counts, long Expires)> _cache = new();
    private readonly long _ttlTicks = (long)(ttl.TotalSeconds * time.TimestampFrequency);
    private sealed record Totals(long Spam, long Ham, long Expires);

    /// <summary>Replaced whole, never changed in place: readers on other threads see one consistent set.</summary>
    private Totals? _totals;

    public async Task<SiteCounts> LookupAsync(IReadOnlyList<ulong> tokens, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        var counts = new TokenCounts[tokens.Count];
        var misses = new List<ulong>(tokens.Count);
        var missAt = new List<int>(tokens.Count);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (_cache.TryGetValue(tokens[i], out var cached) && cached.Expires > now)
            {
                counts[i] = cached.Counts;
            }
            else
            {
                misses.Add(tokens[i]);
                missAt.Add(i);
            }
        }

        var totals = _totals;
        if (misses.Count == 0 && totals is not null && totals.Expires > now)
        {
            return new SiteCounts(totals.Spam, totals.Ham, counts);
        }

        var fetched = await inner.LookupAsync(misses, cancellationToken);
        _totals = new Totals(fetched.SpamMessages, fetched.HamMessages, now + _ttlTicks);
        if (_cache.Count + misses.Count > maxEntries)
        {
            _cache.Clear(); // bounded memory; refilled from the store as mail comes
        }

        for (var j = 0; j < misses.Count; j++)
        {
            counts[missAt[j]] = fetched.Tokens[j];
            _cache[misses[j]] = (fetched.Tokens[j], now + _ttlTicks);
        }

        return new SiteCounts(fetched.SpamMessages, fetched.HamMessages, counts);
    }

    public async Task<LearnOutcome> LearnAsync(LearnedMessage message, LearnLimits limits, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outcome = await inner.LearnAsync(message, limits, now, cancellationToken);
        _totals = null;
        foreach (var token in message.Tokens)
        {
            _cache.TryRemove(token, out _);
        }

        return outcome;
    }

    public async Task<long> ForgetAsync(string source, bool bySenderDomain, CancellationToken cancellationToken)
    {
        var forgotten = await inner.ForgetAsync(source, bySenderDomain, cancellationToken);
        _totals = null;
        _cache.Clear();
        return forgotten;
    }

    public Task<SiteStats> StatsAsync(CancellationToken cancellationToken) => inner.StatsAsync(cancellationToken);
}
