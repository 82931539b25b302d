namespace Gateway.Core.Configuration;

/// <summary>Where accepted mail goes: an SMTP server (<see cref="Host"/>) or, for a trial run, a directory.</summary>
public sealed class DownstreamOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 25;

    public DownstreamTls Tls { get; set; } = DownstreamTls.Opportunistic;

    /// <summary>Per SMTP command; DATA's final reply gets four times as long, as RFC 5321 4.5.3.2 allows more there.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle downstream connections kept open for reuse; 0 turns pooling off.</summary>
    public int PoolSize { get; set; } = 8;

    public string? Directory { get; set; }

    /// <summary>
    /// Stamp X-MS-Exchange-Organization-SCL from the verdict (accept 0, tag 6, would-reject in shadow mode 9),
    /// so an Exchange downstream files tagged mail into Junk itself (README: Exchange setup).
    /// </summary>
    public bool ExchangeScl { get; set; }

    public bool IsDirectory => Host is null;

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(Host is null || Directory is null, "downstream", "set either host or directory, not both");
        errors.Require(Host is null || Host.Length > 0, "downstream.host", "must not be empty");
        errors.Require(Port is > 0 and < 65536, "downstream.port", "must be between 1 and 65535");
        errors.Require(Timeout > TimeSpan.Zero, "downstream.timeout", "must be more than 0");
        errors.Require(PoolSize >= 0, "downstream.pool_size", "must be 0 or more");
    }
}
