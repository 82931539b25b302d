using System.Collections.Concurrent;

namespace Gateway.Metrics;

/// <summary>
/// At most one warning per key and interval: a dead DNS list or Redis fails on every message, and the
/// log must stay readable (the failures are all counted in metrics anyway).
/// </summary>
internal sealed class WarningThrottle(TimeSpan interval, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> _last = new(StringComparer.Ordinal);

    /// <summary>True for the first caller per key in each interval.</summary>
    public bool ShouldWarn(string key)
    {
        var now = time.GetTimestamp();
        var last = _last.GetOrAdd(key, 0);
        return (last == 0 || time.GetElapsedTime(last, now) >= interval) && _last.TryUpdate(key, now, last);
    }
}
