using System.Globalization;

namespace Gateway.Core.State;

/// <summary>
/// The single-box store: one dictionary under one lock (operations are a few dictionary steps, far
/// cheaper than the SMTP round trip they serve), expired keys swept every minute.
/// </summary>
public sealed class MemoryStateStore(TimeProvider time) : IStateStore
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, (string Value, DateTimeOffset Expires)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public Task<bool> AddIfAbsentAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (Live(key) is not null)
            {
                return Task.FromResult(false);
            }

            _entries[key] = (value, time.GetUtcNow() + ttl);
            return Task.FromResult(true);
        }
    }

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(Live(key));
        }
    }

    public Task SetAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Sweep();
            _entries[key] = (value, time.GetUtcNow() + ttl);
            return Task.CompletedTask;
        }
    }

    public Task<long> IncrementAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var count = Number(Live(key)) + 1;
            _entries[key] = (count.ToString(CultureInfo.InvariantCulture), time.GetUtcNow() + ttl);
            return Task.FromResult(count);
        }
    }

    public Task<bool> TryConsumeAsync(string key, long amount, long limit, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (current, previous, weight) = SlidingWindow.Buckets(key, window, now);
        lock (_lock)
        {
            Sweep();
            var currentCount = Number(Live(current));
            if ((Number(Live(previous)) * weight) + currentCount + amount > limit)
            {
                return Task.FromResult(false);
            }

            _entries[current] = ((currentCount + amount).ToString(CultureInfo.InvariantCulture), time.GetUtcNow() + SlidingWindow.BucketTtl(window));
            return Task.FromResult(true);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static long Number(string? value) => value is null ? 0 : long.Parse(value, CultureInfo.InvariantCulture);

    /// <summary>The value if the key exists and has not expired (an expired one is removed). Call under the lock.</summary>
    private string? Live(string key)
    {
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (entry.Expires > time.GetUtcNow())
        {
            return entry.Value;
        }

        _entries.Remove(key);
        return null;
    }

    /// <summary>Drops expired keys, at most once a minute. Call under the lock.</summary>
    private void Sweep()
    {
        var now = time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + SweepInterval;
        foreach (var key in _entries.Where(pair => pair.Value.Expires <= now).Select(pair => pair.Key).ToList())
        {
            _entries.Remove(key);
        }
    }
}
