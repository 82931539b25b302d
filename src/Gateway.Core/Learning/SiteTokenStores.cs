using Gateway.Core.Configuration;
using Gateway.Core.State;

namespace Gateway.Core.Learning;

public static class SiteTokenStores
{
    /// <summary>
    /// Site learning's token store on the state backend (and, for Redis, the same connection), behind a
    /// short cache when shared (<paramref name="cacheTtl"/>; zero for none, as the CLI uses).
    /// </summary>
    public static ISiteTokenStore For(IStateStore state, StateOptions options, TimeSpan cacheTtl = default) => state switch
    {
        RedisStateStore redis when cacheTtl > TimeSpan.Zero => new CachedSiteTokenStore(new RedisSiteTokenStore(redis.Connection, options.KeyPrefix), cacheTtl, TimeProvider.System),
        RedisStateStore redis => new RedisSiteTokenStore(redis.Connection, options.KeyPrefix),
        _ => new MemorySiteTokenStore(),
    };
}
