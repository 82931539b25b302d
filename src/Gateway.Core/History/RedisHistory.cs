using System.Text.Json;
using Gateway.Core.State;
using StackExchange.Redis;

namespace Gateway.Core.History;

/// <summary>
/// The history in Redis (history.store: redis), for instances without a shared volume: one list, newest first,
/// trimmed to history.size entries for all instances together. Entries are sent without waiting for Redis's
/// answer (fire and forget): a Redis that is slow or down costs a message nothing, and its entries are lost,
/// not its mail.
/// </summary>
public sealed class RedisHistory(IConnectionMultiplexer redis, string prefix, int size) : IHistory
{
    private readonly RedisKey _key = prefix + "history";

    public string Where => $"redis {_key}";

    public void Add(HistoryEntry entry)
    {
        try
        {
            var database = redis.GetDatabase();
            database.ListLeftPush(_key, JsonSerializer.Serialize(entry, HistoryJournal.Json), flags: CommandFlags.FireAndForget);
            database.ListTrim(_key, 0, size - 1, CommandFlags.FireAndForget);
        }
        catch (Exception exception) when (exception is RedisException or ObjectDisposedException)
        {
            // not connected: the entry is lost, the message goes on
        }
    }

    /// <summary>Throws <see cref="StateUnavailableException"/> when Redis cannot be asked.</summary>
    public async Task<IReadOnlyList<HistoryEntry>> FindAsync(HistoryQuery query, CancellationToken cancellationToken)
    {
        var lines = await RedisCalls.RunAsync(redis, database => database.ListRangeAsync(_key, 0, size - 1));
        return [.. HistorySearch.Matching(lines.Select(line => HistorySearch.Parse(line.ToString())).OfType<HistoryEntry>(), query)];
    }
}
