namespace Gateway.Core.History;

/// <summary>
/// Where verdicts and refusals are recorded and searched: a journal per instance in a folder
/// (<see cref="HistoryJournal"/>, history.store: file) or one bounded list in Redis (<see cref="RedisHistory"/>).
/// Recording never fails or delays a message.
/// </summary>
public interface IHistory
{
    void Add(HistoryEntry entry);

    /// <summary>Matching entries, newest first, at most the query's limit.</summary>
    Task<IReadOnlyList<HistoryEntry>> FindAsync(HistoryQuery query, CancellationToken cancellationToken);
}
