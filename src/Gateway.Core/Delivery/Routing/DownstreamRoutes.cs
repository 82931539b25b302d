using Gateway.Core.Configuration;

namespace Gateway.Core.Delivery.Routing;

/// <summary>
/// Which route a recipient's mail takes: the route naming its domain exactly, else the one naming the
/// nearest parent as .parent, else *. One client transaction keeps to one route (its downstream
/// transaction is on one server), so recipients of another get 452 4.5.3 and come back in their own.
/// </summary>
public sealed class DownstreamRoutes
{
    private readonly Dictionary<string, Route> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Route> _subdomains = new(StringComparer.OrdinalIgnoreCase);
    private readonly Route? _default;

    public DownstreamRoutes(DownstreamOptions options, string baseFolder)
    {
        var routes = options.EffectiveRoutes();
        for (var i = 0; i < routes.Count; i++)
        {
            var route = new Route(string.Join(",", routes[i].Domains), [.. routes[i].Servers.Select(server => options.Resolve(server, baseFolder))]);
            All.Add(route);
            foreach (var domain in routes[i].Domains)
            {
                if (domain == "*")
                {
                    _default = route;
                }
                else if (domain.StartsWith('.'))
                {
                    _subdomains[domain[1..]] = route;
                }
                else
                {
                    _exact[domain] = route;
                }
            }
        }
    }

    public List<Route> All { get; } = [];

    /// <summary>The route for a recipient address (or a bare domain); null when no route takes its domain.</summary>
    public Route? For(string recipient)
    {
        var at = recipient.LastIndexOf('@');
        var domain = (at < 0 ? recipient : recipient[(at + 1)..]).TrimEnd('.');
        if (_exact.TryGetValue(domain, out var exact))
        {
            return exact;
        }

        for (var dot = domain.IndexOf('.'); dot >= 0; dot = domain.IndexOf('.', dot + 1))
        {
            if (_subdomains.TryGetValue(domain[(dot + 1)..], out var parent))
            {
                return parent;
            }
        }

        return _default;
    }

    /// <summary>One route: its name (the domains it takes) and its servers.</summary>
    public sealed record Route(string Name, IReadOnlyList<DownstreamServer> Servers);
}
