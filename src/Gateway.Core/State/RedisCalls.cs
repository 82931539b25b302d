using StackExchange.Redis;

namespace Gateway.Core.State;

/// <summary>One Redis call, its failures turned into <see cref="StateUnavailableException"/> with a message an operator can read.</summary>
internal static class RedisCalls
{
    /// <summary>StackExchange.Redis explains a failure in a line of ~1,000 characters of client internals; its first clause says what happened.</summary>
    private const int MaxReason = 160;

    public static async Task<T> RunAsync<T>(IConnectionMultiplexer redis, Func<IDatabase, Task<T>> operation)
    {
        try
        {
            return await operation(redis.GetDatabase());
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new StateUnavailableException($"Redis: {Brief(exception.Message)}", exception);
        }
    }

    /// <summary>Up to the first ';' (where the client's diagnostics begin), at most 160 characters.</summary>
    internal static string Brief(string message)
    {
        var end = message.IndexOf(';', StringComparison.Ordinal);
        var reason = (end > 0 ? message[..end] : message).Trim();
        return reason.Length <= MaxReason ? reason : reason[..MaxReason] + "…";
    }
}
