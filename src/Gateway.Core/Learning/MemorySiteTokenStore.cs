
namespace Gateway.Core.Learning;

/// <summary>
/// The site token store of a single gateway: dictionaries under one lock. Learning is rare next to
/// scanning and a lookup is a few hundred dictionary reads, so one lock costs nothing measurable. Stale
/// tokens (not learned within the TTL) and, past max_tokens, the least recently learned ones are dropped.
/// </summary>
public sealed class MemorySiteTokenStore : ISiteTokenStore
{
    /// <summary>Raised with how many tokens went at learning.max_tokens (least recently learned first).</summary>
    public event Action<int>? Evicted;

    private sealed class Token
    {
        public long Spam;
        public long Ham;
        public DateTimeOffset LastLearned;
    }

    private sealed record Record(bool IsSpam, string Source, string SenderDomain, IReadOnlyList<ulong> Tokens, DateTimeOffset Expires, bool Dropped = false);

    private readonly Dictionary<ulong, Token> _tokens = [];
    private readonly Dictionary<string, Record> _messages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _caps = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _spamMessages;
    private long _hamMessages;
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;

    public Task<SiteCounts> LookupAsync(IReadOnlyList<ulong> tokens, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var counts = new TokenCounts[tokens.Count];
            for (var i = 0; i < tokens.Count; i++)
            {
                counts[i] = _tokens.TryGetValue(tokens[i], out var token) ? new TokenCounts(token.Spam, token.Ham) : default;
            }

            return Task.FromResult(new SiteCounts(_spamMessages, _hamMessages, counts));
        }
    }

    public Task<LearnOutcome> LearnAsync(LearnedMessage message, LearnLimits limits, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            Sweep(limits, now);
            if (_messages.TryGetValue(message.Key, out var earlier))
            {
                if (earlier.Dropped)
                {
                    return Task.FromResult(LearnOutcome.Conflict);
                }

                if (earlier.IsSpam == message.IsSpam)
                {
                    return Task.FromResult(LearnOutcome.Duplicate);
                }

                Unlearn(earlier);
                _messages[message.Key] = earlier with { Tokens = [], Dropped = true };
                return Task.FromResult(LearnOutcome.Conflict);
            }

            var day = now.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
            var senderCap = $"d\n{message.SenderDomain}\n{message.IsSpam}\n{day}";
            var sourceCap = $"s\n{message.Source}\n{day}";
            if (limits.PerSenderDomainPerDay > 0 && _caps.GetValueOrDefault(senderCap) >= limits.PerSenderDomainPerDay)
            {
                return Task.FromResult(LearnOutcome.SenderCapped);
            }

            if (limits.PerSourcePerDay > 0 && _caps.GetValueOrDefault(sourceCap) >= limits.PerSourcePerDay)
            {
                return Task.FromResult(LearnOutcome.SourceCapped);
            }

            _caps[senderCap] = _caps.GetValueOrDefault(senderCap) + 1;
            _caps[sourceCap] = _caps.GetValueOrDefault(sourceCap) + 1;
            foreach (var hash in message.Tokens)
            {
                if (!_tokens.TryGetValue(hash, out var token))
                {
                    _tokens[hash] = token = new Token();
                }

                _ = message.IsSpam ? token.Spam++ : token.Ham++;
                token.LastLearned = now;
            }

            _ = message.IsSpam ? _spamMessages++ : _hamMessages++;
            _messages[message.Key] = new Record(message.IsSpam, message.Source, message.SenderDomain, message.Tokens, now + limits.TokenTtl);
            if (limits.MaxTokens > 0 && _tokens.Count > limits.MaxTokens)
            {
                // Drop the least recently learned tenth beyond the bound at once, so trimming is not paid per message.
                var excess = _tokens.Count - limits.MaxTokens + (limits.MaxTokens / 10);
                var stale = _tokens.OrderBy(pair => pair.Value.LastLearned).Take((int)Math.Min(excess, int.MaxValue)).Select(pair => pair.Key).ToList();
                foreach (var key in stale)
                {
                    _tokens.Remove(key);
                }

                Evicted?.Invoke(stale.Count);
            }

            return Task.FromResult(LearnOutcome.Learned);
        }
    }

    public Task<long> ForgetAsync(string source, bool bySenderDomain, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var taught = _messages.Where(pair => !pair.Value.Dropped && (bySenderDomain ? pair.Value.SenderDomain : pair.Value.Source) == source).ToList();
            foreach (var (key, record) in taught)
            {
                Unlearn(record);
                _messages.Remove(key);
            }

            return Task.FromResult((long)taught.Count);
        }
    }

    public Task<SiteStats> StatsAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var live = _messages.Values.Where(record => !record.Dropped).ToList();
            return Task.FromResult(new SiteStats(
                _spamMessages,
                _hamMessages,
                _tokens.Count,
                live.GroupBy(record => record.Source).ToDictionary(group => group.Key, group => (long)group.Count()),
                live.GroupBy(record => record.SenderDomain).ToDictionary(group => group.Key, group => (long)group.Count())));
        }
    }

    /// <summary>Takes a message's counts back out; tokens already trimmed or expired stay gone. Call under the lock.</summary>
    private void Unlearn(Record record)
    {
        foreach (var hash in record.Tokens)
        {
            if (_tokens.TryGetValue(hash, out var token))
            {
                _ = record.IsSpam ? token.Spam = Math.Max(0, token.Spam - 1) : token.Ham = Math.Max(0, token.Ham - 1);
                if (token.Spam == 0 && token.Ham == 0)
                {
                    _tokens.Remove(hash);
                }
            }
        }

        _ = record.IsSpam ? _spamMessages = Math.Max(0, _spamMessages - 1) : _hamMessages = Math.Max(0, _hamMessages - 1);
    }

    /// <summary>Drops tokens and message records older than the TTL and past days' caps, at most hourly. Call under the lock.</summary>
    private void Sweep(LearnLimits limits, DateTimeOffset now)
    {
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + TimeSpan.FromHours(1);
        foreach (var stale in _tokens.Where(pair => pair.Value.LastLearned + limits.TokenTtl <= now).Select(pair => pair.Key).ToList())
        {
            _tokens.Remove(stale);
        }

        foreach (var expired in _messages.Where(pair => pair.Value.Expires <= now).Select(pair => pair.Key).ToList())
        {
            _messages.Remove(expired);
        }

        var today = now.UtcDateTime.ToString("yyyyMMdd", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var old in _caps.Keys.Where(key => !key.EndsWith(today, StringComparison.Ordinal)).ToList())
        {
            _caps.Remove(old);
        }
    }
}
