using System.Globalization;
using StackExchange.Redis;

namespace Gateway.Core.State;

/// <summary>
/// The shared store for many instances: Redis through StackExchange.Redis. Single commands where Redis
/// has them (SET NX PX), Lua scripts where two steps must be one (increment with TTL, the sliding
/// window), so instances never race. Connects in the background and keeps retrying: the gateway starts
/// and serves mail with Redis down, and each operation then fails fast (timeout from
/// state.timeout) as <see cref="StateUnavailableException"/>.
/// </summary>
public sealed class RedisStateStore : IStateStore
{
    private const string IncrementScript = """
        local count = redis.call('INCR', KEYS[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return count
        """;

    // KEYS: current bucket, previous bucket. ARGV: amount, limit, previous weight, bucket TTL (ms).
    private const string ConsumeScript = """
        local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        if previous * tonumber(ARGV[3]) + current + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
          return 0
        end
        redis.call('INCRBY', KEYS[1], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        """;

    private readonly ConnectionMultiplexer _redis;
    private readonly string _prefix;

    private RedisStateStore(ConnectionMultiplexer redis, string prefix)
    {
        _redis = redis;
        _prefix = prefix;
    }

    public static async Task<RedisStateStore> ConnectAsync(string endPoint, string prefix, TimeSpan timeout)
    {
        var options = ConfigurationOptions.Parse(endPoint);
        options.AbortOnConnectFail = false; // start anyway; reconnect in the background
        options.ConnectTimeout = (int)timeout.TotalMilliseconds;
        options.SyncTimeout = (int)timeout.TotalMilliseconds;
        options.AsyncTimeout = (int)timeout.TotalMilliseconds;
        options.ConnectRetry = 1;
        options.ClientName = "gateway";
        return new RedisStateStore(await ConnectionMultiplexer.ConnectAsync(options), prefix);
    }

    public bool IsConnected => _redis.IsConnected;

    /// <summary>The one connection, shared with site learning's token store (Learning/RedisSiteTokenStore).</summary>
    public IConnectionMultiplexer Connection => _redis;

    public Task<bool> AddIfAbsentAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(database => database.StringSetAsync(_prefix + key, value, ttl, When.NotExists));

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        (string?)await RunAsync(database => database.StringGetAsync(_prefix + key));

    public Task SetAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken) =>
        RunAsync(database => database.StringSetAsync(_prefix + key, value, ttl, When.Always));

    public async Task<long> IncrementAsync(string key, TimeSpan ttl, CancellationToken cancellationToken)
    {
        var result = await RunAsync(database => database.ScriptEvaluateAsync(IncrementScript, [_prefix + key], [Milliseconds(ttl)]));
        return (long)result;
    }

    public async Task<bool> TryConsumeAsync(string key, long amount, long limit, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (current, previous, weight) = SlidingWindow.Buckets(_prefix + key, window, now);
        var result = await RunAsync(database => database.ScriptEvaluateAsync(
            ConsumeScript,
            [current, previous],
            [amount, limit, weight.ToString("R", CultureInfo.InvariantCulture), Milliseconds(SlidingWindow.BucketTtl(window))]));
        return (long)result == 1;
    }

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private static long Milliseconds(TimeSpan span) => (long)span.TotalMilliseconds;

    private Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation) => RedisCalls.RunAsync(_redis, operation);
}
