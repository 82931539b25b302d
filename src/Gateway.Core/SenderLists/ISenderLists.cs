namespace Gateway.Core.SenderLists;

/// <summary>
/// The sender allow and block lists, wherever they are kept (<see cref="SenderListFile"/>, <see cref="RedisSenderLists"/>).
/// Reads come from a snapshot in memory (RCPT and DATA ask for every message and must not wait on a disk or a
/// network); changes go to the store and are in every instance's snapshot within seconds.
/// </summary>
public interface ISenderLists
{
    /// <summary>Where the lists are, for people: a file's path, or the Redis key.</summary>
    string Where { get; }

    IReadOnlyList<SenderListEntry> Entries { get; }

    /// <summary>Entries that apply to one recipient (everyone's, its domain's, its own).</summary>
    IReadOnlyList<SenderListEntry> For(string recipient) => [.. Entries.Where(entry => entry.AppliesTo(recipient))];

    /// <summary>Adds an entry (an entry for the same recipient and sender of the other kind is replaced); false when it was there.</summary>
    Task<bool> AddAsync(SenderListEntry entry, CancellationToken cancellationToken);

    /// <summary>Removes the entry for that recipient and sender, whichever kind; false when there was none.</summary>
    Task<bool> RemoveAsync(string forWhom, string sender, CancellationToken cancellationToken);
}
