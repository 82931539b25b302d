using Gateway.Core.Configuration;
using Gateway.Core.State;

namespace Gateway.Core.History;

public static class HistoryStores
{
    /// <summary>The history history.store names (null when history.enabled is false): this instance's journal in the folder, or Redis's list.</summary>
    /// <param name="instance">The journal's file name (host and port), apart from other instances' in a shared folder.</param>
    public static IHistory? Open(GatewayOptions options, IStateStore? state, string instance) => options.History switch
    {
        { Enabled: false } => null,
        { Store: SharedStore.Redis } when state is RedisStateStore redis => new RedisHistory(redis.Connection, options.State.KeyPrefix, options.History.Size),
        var history => new HistoryJournal(history.FullPath(options.BaseFolder), history.Size, instance),
    };
}
