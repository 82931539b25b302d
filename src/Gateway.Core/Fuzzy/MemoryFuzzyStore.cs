namespace Gateway.Core.Fuzzy;

/// <summary>
/// The fuzzy store of one instance (state.backend: memory): counts per key with an expiry, sightings per bulk key
/// within the window; bounded by fuzzy.memory_max_keys (the expired go first, then those expiring soonest).
/// </summary>
public sealed class MemoryFuzzyStore(TimeSpan ttl, TimeSpan bulkWindow, int maxKeys, TimeProvider time) : IFuzzyStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Counts> _learned = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _sightings = new(StringComparer.Ordinal);

    /// <summary>Keys dropped to stay within the bound (gateway_state_evictions_total{store="fuzzy"}).</summary>
    public event Action<int>? Evicted;

    public Task<FuzzyMatch> LookupAsync(FuzzyFingerprint fingerprint, string session, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var text = FuzzyKeys.Text(fingerprint).Select(key => Live(key, now)).ToList();
            var attachments = FuzzyKeys.Attachments(fingerprint).Select(key => Live(key, now)).ToList();
            var bulk = new List<long>();
            foreach (var key in FuzzyKeys.Bulk(fingerprint))
            {
                if (!_sightings.TryGetValue(key, out var seen))
                {
                    _sightings[key] = seen = new(StringComparer.Ordinal);
                }

                foreach (var old in seen.Where(pair => now - pair.Value > bulkWindow).Select(pair => pair.Key).ToList())
                {
                    seen.Remove(old);
                }

                seen[session] = now;
                bulk.Add(seen.Count);
            }

            Bound(now);
            return Task.FromResult(new FuzzyMatch(
                Share(text, counts => counts.Spam), Share(text, counts => counts.Ham),
                attachments.Any(counts => counts.Spam > 0), attachments.Any(counts => counts.Ham > 0),
                FuzzyKeys.Median(bulk)));
        }
    }

    public Task LearnAsync(FuzzyFingerprint fingerprint, bool isSpam, CancellationToken cancellationToken) => Change(fingerprint, isSpam, +1);

    public Task ForgetAsync(FuzzyFingerprint fingerprint, bool isSpam, CancellationToken cancellationToken) => Change(fingerprint, isSpam, -1);

    private Task Change(FuzzyFingerprint fingerprint, bool isSpam, int by)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var key in FuzzyKeys.Text(fingerprint).Concat(FuzzyKeys.Attachments(fingerprint)))
            {
                var counts = Live(key, now);
                _learned[key] = new Counts(Math.Max(0, counts.Spam + (isSpam ? by : 0)), Math.Max(0, counts.Ham + (isSpam ? 0 : by)), now + ttl);
            }

            Bound(now);
        }

        return Task.CompletedTask;
    }

    private Counts Live(string key, DateTimeOffset now) =>
        _learned.TryGetValue(key, out var counts) && counts.Expires > now ? counts : Counts.Zero;

    private static double Share(List<Counts> slots, Func<Counts, long> count) =>
        slots.Count == 0 ? 0 : (double)slots.Count(slot => count(slot) > 0) / FuzzyFingerprint.Slots;

    private void Bound(DateTimeOffset now)
    {
        if (_learned.Count + _sightings.Count <= maxKeys)
        {
            return;
        }

        var dropped = 0;
        foreach (var key in _sightings.Where(pair => pair.Value.Values.All(seen => now - seen > bulkWindow)).Select(pair => pair.Key).ToList())
        {
            dropped += _sightings.Remove(key) ? 1 : 0;
        }

        var excess = _learned.Count + _sightings.Count - maxKeys + maxKeys / 10;
        foreach (var key in _learned.OrderBy(pair => pair.Value.Expires).Take(Math.Max(0, excess)).Select(pair => pair.Key).ToList())
        {
            dropped += _learned.Remove(key) ? 1 : 0;
        }

        Evicted?.Invoke(dropped);
    }

    private readonly record struct Counts(long Spam, long Ham, DateTimeOffset Expires)
    {
        public static readonly Counts Zero = new(0, 0, DateTimeOffset.MinValue);
    }
}
