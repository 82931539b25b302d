namespace Gateway.Core.State;

/// <summary>
/// The little state gateway instances share (greylisting, rate limits): in memory for one box, in Redis
/// for many. Every operation is atomic on its own, so instances never race on a read-modify-write; every
/// key expires. Any failure to reach the store is a <see cref="StateUnavailableException"/>, which the
/// callers turn into the configured fallback.
/// </summary>
public interface IStateStore : IAsyncDisposable
{
    /// <summary>Stores the value only if the key does not exist (SET NX PX); true if it was stored.</summary>
    Task<bool> AddIfAbsentAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken);

    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores the value, replacing any, with a fresh TTL.</summary>
    Task SetAsync(string key, string value, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Adds one and (re)starts the TTL; the new count.</summary>
    Task<long> IncrementAsync(string key, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>
    /// Sliding-window rate limit (two fixed windows, the previous one weighted by how much of it still
    /// overlaps): if <paramref name="amount"/> more stays within <paramref name="limit"/>, counts it and
    /// returns true; otherwise counts nothing and returns false.
    /// </summary>
    Task<bool> TryConsumeAsync(string key, long amount, long limit, TimeSpan window, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>The store cannot be reached or did not answer in time.</summary>
public sealed class StateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
