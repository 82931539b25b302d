namespace Gateway.Core.Configuration;

/// <summary>
/// The message history (gateway.yaml <c>history:</c>): one line per verdict and per refused sender or recipient,
/// so "where is my mail?" has an answer (<c>gateway history</c>). Each instance writes its own journal in the
/// folder (instances on a shared volume are searched together), bounded: when a journal holds half of
/// <see cref="Size"/> entries it becomes the previous one, and the one before that goes.
/// </summary>
public sealed record HistoryOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>file: a journal per instance in <see cref="Directory"/>; redis: one list in state:'s Redis, <see cref="Size"/> entries for all instances together.</summary>
    public SharedStore Store { get; init; } = SharedStore.File;

    /// <summary>Relative to the config file, like the quarantine's.</summary>
    public string Directory { get; init; } = "data/history";

    /// <summary>Entries kept per instance, at most (at least half of them at any time).</summary>
    public int Size { get; init; } = 20_000;

    public string FullPath(string baseFolder) => Path.GetFullPath(Directory, baseFolder);

    internal void Validate(ConfigErrors errors, StateOptions state)
    {
        errors.Require(!Enabled || Store != SharedStore.Redis || state.Backend == StateBackend.Redis, "history.store", "redis needs state.backend: redis (its server and key prefix are used)");
        errors.Require(!Enabled || !string.IsNullOrWhiteSpace(Directory), "history.directory", "must name a folder");
        errors.Require(Size is >= 10 and <= 10_000_000, "history.size", $"{Size} is not between 10 and 10000000");
    }
}
