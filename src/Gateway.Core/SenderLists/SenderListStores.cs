using Gateway.Core.Configuration;
using Gateway.Core.State;

namespace Gateway.Core.SenderLists;

public static class SenderListStores
{
    /// <summary>
    /// The lists sender_lists.store names: the file, or Redis through the state store's connection (state.backend:
    /// redis, which validation requires). <paramref name="refresh"/>: keep a running gateway's snapshot fresh (a
    /// one-off read otherwise, which fails loudly when Redis is down: <see cref="RedisSenderLists.OpenAsync"/>).
    /// </summary>
    public static async Task<ISenderLists> OpenAsync(GatewayOptions options, IStateStore? state, bool refresh, CancellationToken cancellationToken) =>
        options.SenderLists.Store == SharedStore.Redis && state is RedisStateStore redis
            ? await RedisSenderLists.OpenAsync(redis.Connection, options.State.KeyPrefix, refresh, cancellationToken)
            : new SenderListFile(options.SenderLists.FullPath(options.BaseFolder));
}
