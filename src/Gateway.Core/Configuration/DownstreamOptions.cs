namespace Gateway.Core.Configuration;

/// <summary>
/// Where accepted mail goes: one SMTP server (<see cref="Host"/>), several by recipient domain
/// (<see cref="Routes"/>), or, for a trial run, a directory. The single form is the one-route case of
/// routes: <see cref="EffectiveRoutes"/> gives every caller the same shape.
/// </summary>
public sealed record DownstreamOptions
{
    public string? Host { get; init; }

    public int Port { get; init; } = 25;

    /// <summary>TLS to the downstream; a server in <see cref="Routes"/> without its own setting takes this one.</summary>
    public DownstreamTls Tls { get; init; } = DownstreamTls.Opportunistic;

    /// <summary>
    /// PEM file of the CA(s) that sign the downstream's certificate (tls: required). Only these anchor the
    /// chain, not the system store: an internal CA pinned. Relative to the config file.
    /// </summary>
    public string? TlsCaFile { get; init; }

    /// <summary>SHA-256 of the downstream certificate (hex, colons allowed), accepted whatever signed it (tls: required).</summary>
    public string? TlsFingerprint { get; init; }

    /// <summary>Per SMTP command; DATA's final reply gets four times as long, as RFC 5321 4.5.3.2 allows more there.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle connections kept open for reuse, per server; 0 turns pooling off.</summary>
    public int PoolSize { get; init; } = 8;

    /// <summary>A server that refused a connection, failed TLS or greeted with 4xx is skipped this long (shared by all sessions).</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Send with BDAT (RFC 3030 CHUNKING) when the server offers it: no dot-stuffing pass, one round trip less.</summary>
    public bool Chunking { get; init; } = true;

    /// <summary>Per recipient domain, the servers to deliver to (instead of host/port).</summary>
    public List<DownstreamRouteOptions> Routes { get; init; } = [];

    public string? Directory { get; init; }

    /// <summary>
    /// Stamp X-MS-Exchange-Organization-SCL from the verdict (accept 0, tag 6, would-reject in shadow mode 9),
    /// so an Exchange downstream files tagged mail into Junk itself (README: Exchange setup).
    /// </summary>
    public bool ExchangeScl { get; init; }

    public bool IsDirectory => Host is null && Routes.Count == 0;

    /// <summary>The routes as configured, or the single host as the one route for every domain.</summary>
    public IReadOnlyList<DownstreamRouteOptions> EffectiveRoutes() => Routes.Count > 0
        ? Routes
        : Host is null ? [] : [new DownstreamRouteOptions { Domains = ["*"], Servers = [new DownstreamServerOptions { Host = Host, Port = Port }] }];

    /// <summary>One server with every setting resolved (its own, else the downstream's); files relative to <paramref name="baseFolder"/>.</summary>
    public DownstreamServer Resolve(DownstreamServerOptions server, string baseFolder) => new(
        server.Host,
        server.Port,
        server.Priority,
        server.Tls ?? Tls,
        (server.TlsCaFile ?? TlsCaFile) is { } ca ? Path.GetFullPath(ca, baseFolder) : null,
        NormaliseFingerprint(server.TlsFingerprint ?? TlsFingerprint),
        Timeout,
        PoolSize,
        Chunking);

    internal static string? NormaliseFingerprint(string? fingerprint) =>
        fingerprint is null ? null : fingerprint.Replace(":", string.Empty, StringComparison.Ordinal).Replace("sha256", string.Empty, StringComparison.OrdinalIgnoreCase).Trim().ToUpperInvariant();

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(Host is null || Directory is null, "downstream", "set either host or directory, not both");
        errors.Require(Routes.Count == 0 || (Host is null && Directory is null), "downstream.routes", "set either routes or host (or directory), not both");
        errors.Require(Host is null || Host.Length > 0, "downstream.host", "must not be empty");
        errors.Require(Port is > 0 and < 65536, "downstream.port", "must be between 1 and 65535");
        errors.Require(Timeout > TimeSpan.Zero, "downstream.timeout", "must be more than 0");
        errors.Require(PoolSize >= 0, "downstream.pool_size", "must be 0 or more");
        errors.Require(Backoff >= TimeSpan.Zero, "downstream.backoff", "must be 0 or more");
        ValidateFingerprint(TlsFingerprint, "downstream.tls_fingerprint", errors);
        ValidatePins(Tls, TlsCaFile, TlsFingerprint, Routes.Count == 0 ? "downstream.tls" : null, errors);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Routes.Count; i++)
        {
            var route = Routes[i];
            var path = $"downstream.routes.{i}";
            errors.Require(route.Domains.Count > 0, $"{path}.domains", "needs at least one domain (example.com, .example.com for its subdomains, or * for all others)");
            foreach (var domain in route.Domains)
            {
                errors.Require(domain == "*" || DownstreamRouteOptions.IsDomainPattern(domain), $"{path}.domains", $"'{domain}' is not a domain, .domain or *");
                errors.Require(seen.Add(domain), $"{path}.domains", $"'{domain}' is routed twice");
            }

            errors.Require(route.Servers.Count > 0, $"{path}.servers", "needs at least one server");
            for (var j = 0; j < route.Servers.Count; j++)
            {
                var server = route.Servers[j];
                errors.Require(server.Host.Length > 0, $"{path}.servers.{j}.host", "is required");
                errors.Require(server.Port is > 0 and < 65536, $"{path}.servers.{j}.port", "must be between 1 and 65535");
                errors.Require(server.Priority >= 0, $"{path}.servers.{j}.priority", "must be 0 or more (lower is tried first, as MX preference)");
                ValidateFingerprint(server.TlsFingerprint, $"{path}.servers.{j}.tls_fingerprint", errors);
                ValidatePins(server.Tls ?? Tls, server.TlsCaFile ?? TlsCaFile, server.TlsFingerprint ?? TlsFingerprint, $"{path}.servers.{j}", errors);
            }
        }
    }

    /// <summary>A pinned CA or certificate only means something when TLS is required: opportunistic TLS checks nothing and falls back to clear text.</summary>
    private static void ValidatePins(DownstreamTls tls, string? caFile, string? fingerprint, string? path, ConfigErrors errors)
    {
        if (path is not null)
        {
            errors.Require(tls == DownstreamTls.Required || (caFile is null && fingerprint is null), path, "tls_ca_file and tls_fingerprint need tls: required (opportunistic TLS checks no certificate and may fall back to clear text)");
        }
    }

    private static void ValidateFingerprint(string? fingerprint, string path, ConfigErrors errors)
    {
        var normalised = NormaliseFingerprint(fingerprint);
        errors.Require(normalised is null || (normalised.Length == 64 && normalised.All(char.IsAsciiHexDigit)), path, "needs the certificate's SHA-256 as 64 hex digits (colons allowed), e.g. from: openssl x509 -noout -fingerprint -sha256");
    }
}

/// <summary>One route: recipients of these domains go to these servers.</summary>
public sealed record DownstreamRouteOptions
{
    /// <summary>example.com (exactly), .example.com (its subdomains, not itself), * (every domain no other route names).</summary>
    public List<string> Domains { get; init; } = [];

    public List<DownstreamServerOptions> Servers { get; init; } = [];

    internal static bool IsDomainPattern(string domain)
    {
        var name = domain.StartsWith('.') ? domain[1..] : domain;
        return name.Length > 0 && Uri.CheckHostName(name) == UriHostNameType.Dns;
    }
}

/// <summary>One server of a route, as in gateway.yaml; unset TLS settings come from the downstream section.</summary>
public sealed record DownstreamServerOptions
{
    public string Host { get; init; } = string.Empty;

    public int Port { get; init; } = 25;

    /// <summary>Lower first, like MX preference; servers of equal priority share the load in random order.</summary>
    public int Priority { get; init; } = 10;

    public DownstreamTls? Tls { get; init; }

    public string? TlsCaFile { get; init; }

    public string? TlsFingerprint { get; init; }
}

/// <summary>A downstream server with every setting resolved: what a connection to it needs.</summary>
public sealed record DownstreamServer(string Host, int Port, int Priority, DownstreamTls Tls, string? TlsCaFile, string? TlsFingerprint, TimeSpan Timeout, int PoolSize, bool Chunking)
{
    /// <summary>host:port, as metrics and logs name it.</summary>
    public string Name => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
