namespace Gateway.Core.State;

/// <summary>
/// The two-window approximation of a sliding window (as Cloudflare and rspamd use): a count per fixed
/// window, and the estimate = previous window's count × the share of it still inside the sliding window
/// + the current window's count. Constant memory per key, whatever the limit.
/// </summary>
public static class SlidingWindow
{
    /// <summary>The keys of the current and the previous window, and the previous window's weight now.</summary>
    public static (string Current, string Previous, double PreviousWeight) Buckets(string key, TimeSpan window, DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        var index = ticks / window.Ticks;
        var elapsed = (double)(ticks % window.Ticks) / window.Ticks;
        return ($"{key}:{index}", $"{key}:{index - 1}", 1 - elapsed);
    }

    /// <summary>Buckets must outlive the window they follow, as the previous one.</summary>
    public static TimeSpan BucketTtl(TimeSpan window) => window * 2 + TimeSpan.FromSeconds(1);
}
