using System.Globalization;
using Gateway.Core.Learning;
using StackExchange.Redis;

namespace Gateway.Core.State;

/// <summary>
/// The site token store shared by every gateway, in Redis. Layout under PREFIX "bayes:": <c>totals</c>
/// (hash s/h: messages learned), <c>s</c> and <c>h</c> (hashes: token → in how many learned spam / ham
/// messages it appeared), <c>lru</c> (sorted set of tokens by when they were last learned: tokens older
/// than token_ttl and beyond max_tokens go from it and both hashes), <c>m:KEY</c> (what one message
/// taught: class, source, sender domain, tokens; "x" once dropped as a conflict; expires after
/// token_ttl), <c>src:NAME</c> / <c>dom:NAME</c> (which messages a source or sender domain taught),
/// <c>sources</c> / <c>domains</c> (counts for stats) and <c>cap:…:DAY</c> counters. Two big hashes
/// rather than a key per token: a lookup is then two native HMGETs over the message's tokens (0.2 ms
/// against 8 ms for a scripted loop over 400 keys, bench/RESULTS.md) and a token costs a hash field, not a
/// key. Each learn, lookup and forget is one Lua script, so it is one round trip and atomic against every
/// other instance. Keys are built inside the scripts from the prefix: a single Redis or a primary with
/// replicas, not Redis Cluster.
/// </summary>
public sealed class RedisSiteTokenStore(IConnectionMultiplexer redis, string keyPrefix) : ISiteTokenStore
{
    private readonly string _prefix = keyPrefix + "bayes:";

    // ARGV[1]: prefix, then the tokens. Returns {totals, spam counts, ham counts}.
    private const string LookupScript = """
        local p = ARGV[1]
        local totals = redis.call('HMGET', p .. 'totals', 's', 'h')
        if #ARGV < 2 then return {totals, {}, {}} end
        return {totals, redis.call('HMGET', p .. 's', unpack(ARGV, 2)), redis.call('HMGET', p .. 'h', unpack(ARGV, 2))}
        """;

    // Unlearns the message record at key (as read by HMGET c src dom tok); shared by learn and forget.
    private const string UnlearnFunction = """
        local function unlearn(p, key, rec)
          local c, src, dom, tok = rec[1], rec[2], rec[3], rec[4]
          if not c or c == 'x' then return 0 end
          local other = c == 's' and 'h' or 's'
          for hash in string.gmatch(tok or '', '%S+') do
            if redis.call('HINCRBY', p .. c, hash, -1) <= 0 then
              redis.call('HDEL', p .. c, hash)
              if redis.call('HEXISTS', p .. other, hash) == 0 then redis.call('ZREM', p .. 'lru', hash) end
            end
          end
          if redis.call('HINCRBY', p .. 'totals', c, -1) < 0 then redis.call('HSET', p .. 'totals', c, 0) end
          if redis.call('HINCRBY', p .. 'sources', src, -1) <= 0 then redis.call('HDEL', p .. 'sources', src) end
          if redis.call('HINCRBY', p .. 'domains', dom, -1) <= 0 then redis.call('HDEL', p .. 'domains', dom) end
          redis.call('SREM', p .. 'src:' .. src, key)
          redis.call('SREM', p .. 'dom:' .. dom, key)
          return 1
        end
        """;

    // ARGV: prefix, message key, class (s|h), source, sender domain, day, per-domain cap, per-source cap,
    // token TTL (s), max tokens, now (unix s), then the token hashes.
    private const string LearnScript = UnlearnFunction + "\n" + """
        local p, key, c, src, dom, day = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
        local domainCap, sourceCap, ttl, maxTokens, now = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
        local mkey = p .. 'm:' .. key
        local rec = redis.call('HMGET', mkey, 'c', 'src', 'dom', 'tok')
        if rec[1] == 'x' then return 'conflict' end
        if rec[1] == c then return 'duplicate' end
        if rec[1] then
          unlearn(p, key, rec)
          redis.call('HSET', mkey, 'c', 'x', 'tok', '')
          return 'conflict'
        end
        local dcap = p .. 'cap:d:' .. c .. ':' .. dom .. ':' .. day
        local scap = p .. 'cap:s:' .. src .. ':' .. day
        if domainCap > 0 and tonumber(redis.call('GET', dcap) or '0') >= domainCap then return 'sender_capped' end
        if sourceCap > 0 and tonumber(redis.call('GET', scap) or '0') >= sourceCap then return 'source_capped' end
        redis.call('INCR', dcap); redis.call('EXPIRE', dcap, 172800)
        redis.call('INCR', scap); redis.call('EXPIRE', scap, 172800)
        local hashes = {}
        for i = 12, #ARGV do
          redis.call('HINCRBY', p .. c, ARGV[i], 1)
          redis.call('ZADD', p .. 'lru', now, ARGV[i])
          hashes[#hashes + 1] = ARGV[i]
        end
        redis.call('HINCRBY', p .. 'totals', c, 1)
        redis.call('HSET', mkey, 'c', c, 'src', src, 'dom', dom, 'tok', table.concat(hashes, ' '))
        redis.call('EXPIRE', mkey, ttl)
        redis.call('HINCRBY', p .. 'sources', src, 1)
        redis.call('HINCRBY', p .. 'domains', dom, 1)
        redis.call('SADD', p .. 'src:' .. src, key); redis.call('EXPIRE', p .. 'src:' .. src, ttl)
        redis.call('SADD', p .. 'dom:' .. dom, key); redis.call('EXPIRE', p .. 'dom:' .. dom, ttl)
        -- Tokens not learned within the TTL go (a bounded batch per learn), then beyond max_tokens the least recently learned.
        for _, old in ipairs(redis.call('ZRANGEBYSCORE', p .. 'lru', '-inf', now - ttl, 'LIMIT', 0, 1000)) do
          redis.call('HDEL', p .. 's', old); redis.call('HDEL', p .. 'h', old); redis.call('ZREM', p .. 'lru', old)
        end
        local excess = redis.call('ZCARD', p .. 'lru') - maxTokens
        if maxTokens > 0 and excess > 0 then
          local popped = redis.call('ZPOPMIN', p .. 'lru', excess)
          for i = 1, #popped, 2 do redis.call('HDEL', p .. 's', popped[i]); redis.call('HDEL', p .. 'h', popped[i]) end
        end
        return 'learned'
        """;

    // ARGV: prefix, index kind (src|dom), name. Returns how many messages were unlearned.
    private const string ForgetScript = UnlearnFunction + "\n" + """
        local p, kind, name = ARGV[1], ARGV[2], ARGV[3]
        local index = p .. kind .. ':' .. name
        local count = 0
        for _, key in ipairs(redis.call('SMEMBERS', index)) do
          local mkey = p .. 'm:' .. key
          count = count + unlearn(p, key, redis.call('HMGET', mkey, 'c', 'src', 'dom', 'tok'))
          redis.call('DEL', mkey)
        end
        redis.call('DEL', index)
        return count
        """;

    public async Task<SiteCounts> LookupAsync(IReadOnlyList<ulong> tokens, CancellationToken cancellationToken)
    {
        var result = (RedisResult[])(await RunAsync(database => database.ScriptEvaluateAsync(
            LookupScript,
            [],
            [_prefix, .. tokens.Select(token => (RedisValue)Hex(token))])))!;
        var (totals, spam, ham) = ((RedisResult[])result[0]!, (RedisResult[])result[1]!, (RedisResult[])result[2]!);
        var counts = new TokenCounts[tokens.Count];
        for (var i = 0; i < counts.Length; i++)
        {
            counts[i] = new TokenCounts(Count(spam[i]), Count(ham[i]));
        }

        return new SiteCounts(Count(totals[0]), Count(totals[1]), counts);
    }

    private static long Count(RedisResult value) => value.IsNull ? 0 : (long)value;

    public async Task<LearnOutcome> LearnAsync(LearnedMessage message, LearnLimits limits, DateTimeOffset now, CancellationToken cancellationToken)
    {
        RedisValue[] arguments =
        [
            _prefix, message.Key, message.IsSpam ? "s" : "h", message.Source, message.SenderDomain,
            now.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            limits.PerSenderDomainPerDay, limits.PerSourcePerDay, (long)limits.TokenTtl.TotalSeconds, limits.MaxTokens, now.ToUnixTimeSeconds(),
            .. message.Tokens.Select(token => (RedisValue)Hex(token)),
        ];
        var result = (string?)await RunAsync(database => database.ScriptEvaluateAsync(LearnScript, [], arguments));
        return result switch
        {
            "learned" => LearnOutcome.Learned,
            "duplicate" => LearnOutcome.Duplicate,
            "conflict" => LearnOutcome.Conflict,
            "sender_capped" => LearnOutcome.SenderCapped,
            "source_capped" => LearnOutcome.SourceCapped,
            _ => throw new StateUnavailableException($"Redis: unexpected answer '{result}' to learn"),
        };
    }

    public async Task<long> ForgetAsync(string source, bool bySenderDomain, CancellationToken cancellationToken) =>
        (long)await RunAsync(database => database.ScriptEvaluateAsync(ForgetScript, [], [_prefix, bySenderDomain ? "dom" : "src", source]));

    public async Task<SiteStats> StatsAsync(CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        var totals = await RunAsync(_ => database.HashGetAsync(_prefix + "totals", ["s", "h"]));
        var tokens = await RunAsync(_ => database.SortedSetLengthAsync(_prefix + "lru"));
        var sources = await RunAsync(_ => database.HashGetAllAsync(_prefix + "sources"));
        var domains = await RunAsync(_ => database.HashGetAllAsync(_prefix + "domains"));
        return new SiteStats((long?)totals[0] ?? 0, (long?)totals[1] ?? 0, tokens, Counts(sources), Counts(domains));
    }

    private static Dictionary<string, long> Counts(HashEntry[] entries) =>
        entries.Where(entry => (long)entry.Value > 0).ToDictionary(entry => (string)entry.Name!, entry => (long)entry.Value);

    private static string Hex(ulong token) => token.ToString("x16", CultureInfo.InvariantCulture);

    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation)
    {
        try
        {
            return await operation(redis.GetDatabase());
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new StateUnavailableException($"Redis: {exception.Message}", exception);
        }
    }
}
