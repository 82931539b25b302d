namespace Gateway.Core.Configuration;

/// <summary>Where the sender lists and the history live: a file (instances share it on a shared volume) or Redis (state: redis's server).</summary>
public enum SharedStore
{
    File,
    Redis,
}
