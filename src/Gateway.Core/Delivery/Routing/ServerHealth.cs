using System.Collections.Concurrent;
using Gateway.Core.Configuration;

namespace Gateway.Core.Delivery.Routing;

/// <summary>
/// Which downstream servers are down, shared by every session of the process: a server that refused a
/// connection, failed TLS or greeted with 4xx is skipped for downstream.backoff, so one outage costs one
/// failed attempt per back-off, not one per message. Like Postfix's dead-host cache, it is per process.
/// </summary>
public sealed class ServerHealth(TimeSpan backoff, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _downUntil = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A server went down (true) or came back (false): for metrics and logs.</summary>
    public event Action<DownstreamServer, bool, string>? Changed;

    public bool IsUp(DownstreamServer server) => !_downUntil.TryGetValue(server.Name, out var until) || until <= time.GetUtcNow();

    /// <summary>When the server's back-off ends (now or earlier when it is up).</summary>
    public DateTimeOffset UpAt(DownstreamServer server) => _downUntil.TryGetValue(server.Name, out var until) ? until : DateTimeOffset.MinValue;

    public void MarkDown(DownstreamServer server, string reason)
    {
        var wasUp = IsUp(server);
        _downUntil[server.Name] = time.GetUtcNow() + backoff;
        if (wasUp)
        {
            Changed?.Invoke(server, false, reason);
        }
    }

    public void MarkUp(DownstreamServer server)
    {
        if (_downUntil.TryRemove(server.Name, out _))
        {
            Changed?.Invoke(server, true, "answered");
        }
    }

    /// <summary>
    /// The order to try a route's servers in: those up by priority (equal priorities shuffled, spreading the
    /// load as equal MX preferences do). When every one is down, the one whose back-off ends first is
    /// still tried, once: mail keeps flowing the moment it recovers, and a dead route costs one attempt.
    /// </summary>
    public IReadOnlyList<DownstreamServer> Order(IReadOnlyList<DownstreamServer> servers)
    {
        var up = servers.Where(IsUp)
            .GroupBy(server => server.Priority)
            .OrderBy(group => group.Key)
            .SelectMany(group => group.OrderBy(_ => Random.Shared.Next()))
            .ToList();
        return up.Count > 0 ? up : [servers.MinBy(UpAt)!];
    }
}
