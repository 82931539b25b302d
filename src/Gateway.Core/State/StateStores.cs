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
}
