namespace Gateway.Core.Configuration;

/// <summary>The resolvers every DNS-based check uses. With servers set, the system resolver is never asked.</summary>
public sealed record DnsOptions
{
    public List<string> Servers { get; init; } = [];

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Answers kept (each for its TTL, at most an hour); 0 turns caching off.</summary>
    public int CacheSize { get; init; } = 100_000;

    public IReadOnlyList<IPEndPoint> ServerEndPoints =>
        [.. Servers.Select(server => ListenAddress.TryParse(server, 53, out var endPoint) ? endPoint! : throw new InvalidOperationException("validated")) ];

    internal void Validate(ConfigErrors errors)
    {
        for (var i = 0; i < Servers.Count; i++)
        {
            errors.Require(ListenAddress.TryParse(Servers[i], 53, out _), $"dns.servers.{i}", $"'{Servers[i]}' is not an IP address with optional port");
        }

        errors.Require(Timeout > TimeSpan.Zero, "dns.timeout", "must be more than 0");
        errors.Require(CacheSize >= 0, "dns.cache_size", "must be 0 (off) or more");
    }
}
