namespace Gateway.Core.Configuration;

public sealed record MetricsOptions
{
    /// <summary>Where /metrics is served; loopback by default so nothing is exposed unasked. Empty turns it off.</summary>
    public string? Listen { get; init; } = "127.0.0.1:9464";

    /// <summary>How often /ready checks that the downstream can be reached.</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(string.IsNullOrEmpty(Listen) || ListenAddress.TryParse(Listen, 0, out _), "metrics.listen", $"'{Listen}' is not an IP address and port");
        errors.Require(ProbeInterval > TimeSpan.Zero, "metrics.probe_interval", "must be more than 0");
    }
}
