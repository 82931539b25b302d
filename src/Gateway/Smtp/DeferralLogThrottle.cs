using System.Collections.Concurrent;

namespace Gateway.Smtp;

/// <summary>
/// One deferral log line per client and interval: greylisting and rate limits answer 4xx to every RCPT of
/// a client pipelining hundreds of them, and one line each was 120 MB of log a minute. The first deferral
/// in an interval is logged; the rest are counted and the count is said with the next one logged. The
/// table is bounded: past <see cref="MaxClients"/> it is emptied (at worst a client gets one more line).
/// </summary>
internal sealed class DeferralLogThrottle(TimeSpan interval, TimeProvider time)
{
    public const int MaxClients = 10_000;

    private sealed class Window(long started)
    {
        public long Started = started;
        public int Suppressed;
    }

    private readonly ConcurrentDictionary<IPAddress, Window> _clients = new();

    /// <summary>True when this deferral is to be logged; <paramref name="suppressed"/> says how many were not since the last one logged.</summary>
    public bool ShouldLog(IPAddress client, out int suppressed)
    {
        var now = time.GetTimestamp();
        if (_clients.Count >= MaxClients && !_clients.ContainsKey(client))
        {
            _clients.Clear();
        }

        var window = _clients.GetOrAdd(client, _ => new Window(0));
        lock (window)
        {
            if (window.Started != 0 && time.GetElapsedTime(window.Started, now) < interval)
            {
                window.Suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = window.Suppressed;
            window.Started = now;
            window.Suppressed = 0;
            return true;
        }
    }
}
