using System.Globalization;

namespace Gateway.Core.State;

/// <summary>
/// The single-box store: one dictionary under one lock (operations are a few dictionary steps, far
/// cheaper than the SMTP round trip they serve), expired keys swept every minute, and at most
/// <paramref name="maxKeys"/> keys: at the bound expired keys go first, then the oldest written
/// (<see cref="Evicted"/>), so no sender can grow the process without limit.
/// </summary>
public sealed class MemoryStateStore(TimeProvider time, int maxKeys = 200_000) : IStateStore
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMinutes(1);

    /// <summary>Each key with its value, expiry and place in the write order.</summary>
    private readonly Dictionary<string, (string Value, DateTimeOffset Expires, LinkedListNode<string> Order)> _entries = new(StringComparer.Ordinal);

    /// <summary>Keys, oldest written first.</summary>
    private readonly LinkedList<string> _order = new();
    private readonly Lock _lock = new();
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    /// <summary>Raised (under the store's lock: keep it cheap) for each live key pushed out at the bound.</summary>
    public event Action? Evicted;

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

            Write(key, value, time.GetUtcNow() + ttl);
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
            Write(key, value, time.GetUtcNow() + ttl);
            return Task.CompletedTask;
        }
    }

    public Task<long> IncrementAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var count = Number(Live(key)) + 1;
            Write(key, count.ToString(CultureInfo.InvariantCulture), time.GetUtcNow() + ttl);
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

            Write(current, (currentCount + amount).ToString(CultureInfo.InvariantCulture), time.GetUtcNow() + SlidingWindow.BucketTtl(window));
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

        Remove(key);
        return null;
    }

    /// <summary>Sets a key as the newest written; at the bound makes room first. Call under the lock.</summary>
    private void Write(string key, string value, DateTimeOffset expires)
    {
        if (_entries.TryGetValue(key, out var existing))
        {
            _order.Remove(existing.Order);
            _order.AddLast(existing.Order);
            _entries[key] = (value, expires, existing.Order);
            return;
        }

        if (_entries.Count >= maxKeys)
        {
            MakeRoom();
        }

        _entries[key] = (value, expires, _order.AddLast(key));
    }

    /// <summary>
    /// Expired keys first (a full sweep, whatever the interval), then the oldest written, down to nine
    /// tenths of the bound, so a flood at the bound pays one sweep per many writes. Call under the lock.
    /// </summary>
    private void MakeRoom()
    {
        _nextSweep = DateTimeOffset.MinValue;
        Sweep();
        var target = maxKeys - Math.Max(1, maxKeys / 10);
        while (_entries.Count > target && _order.First is { } oldest)
        {
            Remove(oldest.Value);
            Evicted?.Invoke();
        }
    }

    private void Remove(string key)
    {
        if (_entries.Remove(key, out var entry))
        {
            _order.Remove(entry.Order);
        }
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
            Remove(key);
        }
    }
}
