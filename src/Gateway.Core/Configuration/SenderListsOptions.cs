namespace Gateway.Core.Configuration;

/// <summary>
/// Allow and block lists of senders, global, per recipient domain and per recipient (gateway.yaml
/// <c>sender_lists:</c>), kept by <c>gateway lists</c> and the web console in one JSON file: instances on a
/// shared volume share it, as they share the quarantine. Read again when it changes. With <c>store: redis</c> they
/// live in the Redis of <c>state:</c> instead, for instances without a shared volume.
/// </summary>
public sealed record SenderListsOptions
{
    public SharedStore Store { get; init; } = SharedStore.File;

    /// <summary>Relative to the config file.</summary>
    public string File { get; init; } = "data/sender-lists.json";

    public string FullPath(string baseFolder) => Path.GetFullPath(File, baseFolder);

    internal void Validate(ConfigErrors errors, StateOptions state)
    {
        errors.Require(!string.IsNullOrWhiteSpace(File), "sender_lists.file", "must name a file");
        errors.Require(Store != SharedStore.Redis || state.Backend == StateBackend.Redis, "sender_lists.store", "redis needs state.backend: redis (its server and key prefix are used)");
    }
}
