namespace Gateway.Core.Configuration;

/// <summary>
/// Pyzor, the collaborative digest network (gateway.yaml <c>pyzor:</c>): off until servers are listed, since a site
/// chooses whether to ask (and, with `gateway learn spam`, to tell) others about its mail. Digests only: no
/// message content leaves the site.
/// </summary>
public sealed record PyzorOptions
{
    /// <summary>host:port of Pyzor servers (public.pyzor.org:24441 is the public one), asked in order.</summary>
    public List<string> Servers { get; init; } = [];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    public bool IsEnabled => Servers.Count > 0;

    /// <summary>The servers as addresses (validated: IP:port; a host name is resolved at start).</summary>
    public IReadOnlyList<System.Net.IPEndPoint> EndPoints() =>
        [.. Servers.Select(server => ListenAddress.TryParse(server, 24441, out var endPoint) && endPoint is not null
            ? endPoint
            : new System.Net.IPEndPoint(System.Net.Dns.GetHostAddresses(server.Split(':')[0])[0], int.Parse(server.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)))];

    internal void Validate(ConfigErrors errors)
    {
        for (var i = 0; i < Servers.Count; i++)
        {
            var parts = Servers[i].Split(':');
            errors.Require(parts.Length == 2 && parts[0].Length > 0 && int.TryParse(parts[1], out var port) && port is > 0 and < 65536, $"pyzor.servers.{i}", $"'{Servers[i]}' is not host:port");
        }

        errors.Require(Timeout > TimeSpan.Zero && Timeout <= TimeSpan.FromSeconds(30), "pyzor.timeout", "must be more than 0 and at most 30s");
    }
}
