using System.Collections.Concurrent;

namespace Gateway.Core.Dns;

/// <summary>
/// Answers kept for their TTL (negative answers for the zone's SOA minimum, RFC 2308), capped at
/// <see cref="Capacity"/> entries so a flood of distinct names (every client address times every list)
/// cannot grow memory without bound. When full, expired entries go first; if none have expired, new
/// answers are simply not kept until some do. Temporary errors are never kept.
/// </summary>
public sealed class DnsAnswerCache(int capacity, TimeProvider time)
{
    private static readonly TimeSpan MaxTtl = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<(string Name, int Type), Entry> _entries = new();
    private long _nextSweep;

    public int Capacity { get; } = capacity;

    public int Count => _entries.Count;

    public bool TryGet<T>(string name, int type, out DnsAnswer<T> answer)
    {
        if (_entries.TryGetValue((name, type), out var entry) && entry.Answer is DnsAnswer<T> typed)
        {
            if (time.GetTimestamp() < entry.Expires)
            {
                answer = typed;
                return true;
            }

            _entries.TryRemove(new KeyValuePair<(string, int), Entry>((name, type), entry));
        }

        answer = null!;
        return false;
    }

    public void Add<T>(string name, int type, DnsAnswer<T> answer, TimeSpan ttl)
    {
        if (answer.Status == DnsStatus.TempError || ttl <= TimeSpan.Zero || Capacity <= 0)
        {
            return;
        }

        var now = time.GetTimestamp();
        if (_entries.Count >= Capacity && !Sweep(now))
        {
            return;
        }

        var keep = ttl < MaxTtl ? ttl : MaxTtl;
        _entries[(name, type)] = new Entry(answer, now + (long)(keep.TotalSeconds * time.TimestampFrequency));
    }

    /// <summary>Drops expired entries (at most once a second: a full cache must not cost a scan per query); true if there is room now.</summary>
    private bool Sweep(long now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now >= next && Interlocked.CompareExchange(ref _nextSweep, now + time.TimestampFrequency, next) == next)
        {
            foreach (var (key, entry) in _entries)
            {
                if (entry.Expires <= now)
                {
                    _entries.TryRemove(new KeyValuePair<(string, int), Entry>(key, entry));
                }
            }
        }

        return _entries.Count < Capacity;
    }

    private sealed record Entry(object Answer, long Expires);
}
