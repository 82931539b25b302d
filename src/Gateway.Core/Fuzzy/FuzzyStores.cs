using Gateway.Core.Configuration;
using Gateway.Core.State;

namespace Gateway.Core.Fuzzy;

public static class FuzzyStores
{
    /// <summary>The fuzzy store on the state backend (Redis through its connection); null when fuzzy is off.</summary>
    public static IFuzzyStore? For(GatewayOptions options, IStateStore? state) => (options.Fuzzy.Enabled, state) switch
    {
        (false, _) or (_, null) => null,
        (_, RedisStateStore redis) => new RedisFuzzyStore(redis.Connection, options.State.KeyPrefix, options.Fuzzy.Ttl, options.Fuzzy.BulkWindow),
        _ => new MemoryFuzzyStore(options.Fuzzy.Ttl, options.Fuzzy.BulkWindow, options.Fuzzy.MemoryMaxKeys, TimeProvider.System),
    };
}
