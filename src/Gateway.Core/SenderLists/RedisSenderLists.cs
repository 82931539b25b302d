using Gateway.Core.State;
using StackExchange.Redis;

namespace Gateway.Core.SenderLists;

/// <summary>
/// The sender lists in Redis (sender_lists.store: redis), for instances without a shared volume: one hash
/// (field "FOR SENDER", value allow or block) and a version counter that every change increments in the same
/// script. Each instance keeps a snapshot and asks for the version every <see cref="RefreshInterval"/>; only when
/// it moved is the hash read again. So RCPT and DATA never wait on Redis, a change made on one instance (console,
/// CLI) is on every other within seconds, and with Redis down the last snapshot stays in force.
/// </summary>
public sealed class RedisSenderLists : ISenderLists, IAsyncDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(2);

    // KEYS: hash, version. ARGV: field, kind. Returns 1 when the hash changed.
    private const string AddScript = """
        if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
          return 0
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('INCR', KEYS[2])
        return 1
        """;

    private const string RemoveScript = """
        local removed = redis.call('HDEL', KEYS[1], ARGV[1])
        if removed > 0 then
          redis.call('INCR', KEYS[2])
        end
        return removed
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKey _hash;
    private readonly RedisKey _version;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task? _refreshing;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private (long Version, IReadOnlyList<SenderListEntry> Entries)? _snapshot;
    private long _failures;

    /// <param name="refresh">Keep the snapshot fresh in the background (a running gateway); a command-line run reads once.</param>
    private RedisSenderLists(IConnectionMultiplexer redis, string prefix, bool refresh)
    {
        _redis = redis;
        _hash = prefix + "sender-lists";
        _version = prefix + "sender-lists:version";
        _refreshing = refresh ? RefreshLoopAsync(_stopping.Token) : null;
    }

    /// <summary>
    /// Lists read once now. <paramref name="refresh"/> (a running gateway): kept fresh in the background, and a Redis
    /// that is down at start leaves them empty until it answers. Otherwise (a command-line run) a Redis that is down
    /// is a <see cref="StateUnavailableException"/>, not lists that look empty.
    /// </summary>
    public static async Task<RedisSenderLists> OpenAsync(IConnectionMultiplexer redis, string prefix, bool refresh, CancellationToken cancellationToken)
    {
        var lists = new RedisSenderLists(redis, prefix, refresh);
        await (refresh ? lists.TryRefreshAsync(cancellationToken) : lists.RefreshAsync(cancellationToken));
        return lists;
    }

    public string Where => $"redis {_hash}";

    /// <summary>Refreshes that could not reach Redis since start (the last snapshot stayed in force).</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public IReadOnlyList<SenderListEntry> Entries => _snapshot?.Entries ?? [];

    public async Task<bool> AddAsync(SenderListEntry entry, CancellationToken cancellationToken)
    {
        var changed = (long)await RedisCalls.RunAsync(_redis, database => database.ScriptEvaluateAsync(AddScript, [_hash, _version], [Field(entry.For, entry.Sender), Kind(entry.Kind)]));
        await RefreshAsync(cancellationToken);
        return changed == 1;
    }

    public async Task<bool> RemoveAsync(string forWhom, string sender, CancellationToken cancellationToken)
    {
        var removed = (long)await RedisCalls.RunAsync(_redis, database => database.ScriptEvaluateAsync(RemoveScript, [_hash, _version], [Field(forWhom, sender)]));
        await RefreshAsync(cancellationToken);
        return removed > 0;
    }

    /// <summary>Reads the hash again if its version moved since the snapshot. Throws <see cref="StateUnavailableException"/> when Redis cannot be asked.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken);
        try
        {
            var version = (long?)await RedisCalls.RunAsync(_redis, database => database.StringGetAsync(_version)) ?? 0;
            if (_snapshot?.Version == version)
            {
                return;
            }

            var fields = await RedisCalls.RunAsync(_redis, database => database.HashGetAllAsync(_hash));
            _snapshot = (version, [.. fields.Select(Parse).OfType<SenderListEntry>().OrderBy(entry => entry.For, StringComparer.Ordinal).ThenBy(entry => entry.Sender, StringComparer.Ordinal)]);
        }
        finally
        {
            _refreshGate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_refreshing is not null)
        {
            await _refreshing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
        _refreshGate.Dispose();
    }

    private async Task RefreshLoopAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping))
            {
                await TryRefreshAsync(stopping);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task TryRefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RefreshAsync(cancellationToken);
        }
        catch (StateUnavailableException)
        {
            Interlocked.Increment(ref _failures);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static string Field(string forWhom, string sender) => $"{forWhom} {sender}";

    private static string Kind(SenderListKind kind) => kind == SenderListKind.Allow ? "allow" : "block";

    /// <summary>A field written by another version or by hand that does not parse is left out, not fatal.</summary>
    private static SenderListEntry? Parse(HashEntry field)
    {
        var text = field.Name.ToString();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0)
        {
            return null;
        }

        try
        {
            return SenderListEntry.Create(text[..space], text[(space + 1)..], field.Value == "block" ? SenderListKind.Block : SenderListKind.Allow);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
