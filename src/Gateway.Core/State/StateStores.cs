using Gateway.Core.Configuration;

namespace Gateway.Core.State;

public static class StateStores
{
    /// <summary>The store state.backend names. Redis is connected in the background: a Redis that is down at start is not an error.</summary>
    public static async Task<IStateStore> CreateAsync(StateOptions options, TimeProvider time) => options.Backend switch
    {
        StateBackend.Redis => await RedisStateStore.ConnectAsync(options.Redis, options.KeyPrefix, options.Timeout),
        _ => new MemoryStateStore(time, options.MemoryMaxKeys),
    };

    /// <summary>
    /// Site learning's token store on the same backend (and, for Redis, the same connection), behind a
    /// short cache when shared (<paramref name="cacheTtl"/>; zero for none, as the CLI uses).
    /// </summary>
    public static Learning.ISiteTokenStore SiteTokens(IStateStore state, StateOptions options, TimeSpan cacheTtl = default) => state switch
    {
        RedisStateStore redis when cacheTtl > TimeSpan.Zero => new Learning.CachedSiteTokenStore(new RedisSiteTokenStore(redis.Connection, options.KeyPrefix), cacheTtl, TimeProvider.System),
        RedisStateStore redis => new RedisSiteTokenStore(redis.Connection, options.KeyPrefix),
        _ => new MemorySiteTokenStore(),
    };
}
