using Gateway.Core.Configuration;
using Gateway.Core.Delivery.Smtp;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Delivery.Routing;

/// <summary>
/// The downstream as routes of servers (downstream.routes, or the single host as one route). A
/// transaction opens on the route of its first recipient: the servers up, by priority, then the next
/// when one cannot take a session (refused connection, 4xx greeting, failed TLS) — all while the client
/// waits for its RCPT reply, so an outage of one server costs the sender nothing.
/// </summary>
public sealed class RoutedDownstream : IDownstream
{
    private readonly DownstreamRoutes _routes;
    private readonly Dictionary<DownstreamServer, SmtpDownstream> _servers = [];

    public RoutedDownstream(DownstreamOptions options, string baseFolder, string localName, TimeProvider time, ILoggerFactory loggerFactory)
    {
        _routes = new DownstreamRoutes(options, baseFolder);
        Health = new ServerHealth(options.Backoff, time);
        var logger = loggerFactory.CreateLogger<SmtpDownstream>();
        foreach (var server in _routes.All.SelectMany(route => route.Servers))
        {
            _servers.TryAdd(server, new SmtpDownstream(server, localName, Health, logger));
        }
    }

    public ServerHealth Health { get; }

    /// <summary>A server could not take the session and the next one of the route is tried (metrics).</summary>
    public event Action<DownstreamServer>? FailedOver;

    public IReadOnlyList<DownstreamRoutes.Route> Routes => _routes.All;

    public string? RouteOf(string recipient) => _routes.For(recipient)?.Name;

    public async Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient = null)
    {
        if ((firstRecipient is null ? _routes.All.FirstOrDefault() : _routes.For(firstRecipient)) is not { } route)
        {
            return new DownstreamOpenResult(null, DeliveryReplies.NoRoute);
        }

        DownstreamOpenResult? last = null;
        foreach (var server in Health.Order(route.Servers))
        {
            (last, var serverFailed) = await _servers[server].OpenAsync(sender, mailParameters, cancellationToken, firstRecipient);
            if (!serverFailed)
            {
                // Opened, or answered by a server that took the session: its answer to MAIL is the answer.
                return last;
            }

            FailedOver?.Invoke(server);
        }

        return last!;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }
    }
}
