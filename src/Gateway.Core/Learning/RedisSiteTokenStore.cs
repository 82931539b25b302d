using System.Globalization;
using Gateway.Core.State;
using StackExchange.Redis;

namespace Gateway.Core.Learning;

/// <summary>
/// The site token store shared by every gateway, in Redis. Layout under PREFIX "bayes:": <c>totals</c>
/// (hash s/h: messages learned), <c>t</c> (hash: token → "SPAM HAM", in how many learned spam and ham
/// messages it appeared), <c>lru</c> (sorted set of tokens by when they were last learned: tokens older
/// than token_ttl and beyond max_tokens go from it and from <c>t</c>), <c>m:KEY</c> (what one message
/// taught: class, source, sender domain, tokens; "x" once dropped as a conflict; expires after
/// token_ttl), <c>src:NAME</c> / <c>dom:NAME</c> (which messages a source or sender domain taught),
/// <c>sources</c> / <c>domains</c> (counts for stats) and <c>cap:…:DAY</c> counters. One hash rather than
/// a key per token: a lookup is one native HMGET over the message's tokens, pipelined with the totals in
/// one round trip (a scripted loop over a key per token cost 8 ms a message under load, bench/RESULTS.md),
/// and a token costs a hash field, not a key. Each learn and forget is one Lua script, so it is one round
/// trip and atomic against every other instance. Keys are built inside the scripts from the prefix: a single Redis or a primary with
/// replicas, not Redis Cluster.
/// </summary>
public sealed class RedisSiteTokenStore(IConnectionMultiplexer redis, string keyPrefix) : ISiteTokenStore
{
    private readonly string _prefix = keyPrefix + "bayes:";

    // Unlearns the message record at key (as read by HMGET c src dom tok); shared by learn and forget.
    // Adds delta to one class of one token ("SPAM HAM" in hash t; gone at 0 0); the token's total after.
    // Unlearns the message record at key (as read by HMGET c src dom tok). Shared by learn and forget.
    private const string UnlearnFunction = """
        local function bump(p, hash, c, delta)
          local v = redis.call('HGET', p .. 't', hash)
          local s, h = 0, 0
          if v then
            local a, b = string.match(v, '(%d+) (%d+)')
            s, h = tonumber(a), tonumber(b)
          end
          if c == 's' then s = math.max(0, s + delta) else h = math.max(0, h + delta) end
          if s + h == 0 then
            redis.call('HDEL', p .. 't', hash)
            return 0
          end
          redis.call('HSET', p .. 't', hash, s .. ' ' .. h)
          return s + h
        end
        local function unlearn(p, key, rec)
          local c, src, dom, tok = rec[1], rec[2], rec[3], rec[4]
          if not c or c == 'x' then return 0 end
          for hash in string.gmatch(tok or '', '%S+') do
            if bump(p, hash, c, -1) == 0 then redis.call('ZREM', p .. 'lru', hash) end
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
          bump(p, ARGV[i], c, 1)
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
          redis.call('HDEL', p .. 't', old); redis.call('ZREM', p .. 'lru', old)
        end
        local excess = redis.call('ZCARD', p .. 'lru') - maxTokens
        if maxTokens > 0 and excess > 0 then
          local popped = redis.call('ZPOPMIN', p .. 'lru', excess)
          for i = 1, #popped, 2 do redis.call('HDEL', p .. 't', popped[i]) end
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
        // Two commands in one round trip (a batch, not a transaction: a learn landing in between moves a count by one).
        var (totals, counts) = await RunAsync(async database =>
        {
            var batch = database.CreateBatch();
            var totals = batch.HashGetAsync(_prefix + "totals", ["s", "h"]);
            var counts = tokens.Count == 0 ? Task.FromResult<RedisValue[]>([]) : batch.HashGetAsync(_prefix + "t", [.. tokens.Select(token => (RedisValue)Hex(token))]);
            batch.Execute();
            return (await totals, await counts);
        });
        var result = new TokenCounts[tokens.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Parse(counts[i]);
        }

        return new SiteCounts(Number(totals[0]), Number(totals[1]), result);
    }

    private static long Number(RedisValue value) => value.IsNull ? 0 : (long)value;

    /// <summary>"SPAM HAM" as the learn script writes it.</summary>
    private static TokenCounts Parse(RedisValue value)
    {
        if (value.IsNull)
        {
            return default;
        }

        var text = ((string?)value).AsSpan();
        var space = text.IndexOf(' ');
        return space > 0 && long.TryParse(text[..space], NumberStyles.None, CultureInfo.InvariantCulture, out var spam) && long.TryParse(text[(space + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var ham)
            ? new TokenCounts(spam, ham)
            : default;
    }

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
        return LearnOutcomes.TryParse(result, out var outcome) ? outcome : throw new StateUnavailableException($"Redis: unexpected answer '{result}' to learn");
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

    private Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation) => RedisCalls.RunAsync(redis, operation);
}
