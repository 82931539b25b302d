namespace Gateway.Core.Configuration;

/// <summary>
/// DMARC aggregate reports (gateway.yaml <c>dmarc_reports:</c>), off by default: each DMARC evaluation of a domain
/// that asks for reports (rua=) is counted, and once a period (UTC-aligned, <see cref="Interval"/>) each such domain
/// gets one gzipped report through <see cref="Relay"/>, from whichever instance claims it first (state.backend:
/// redis shares the counts; memory counts this instance's mail only).
/// </summary>
public sealed record DmarcReportsOptions
{
    public bool Enabled { get; init; }

    /// <summary>host:port of the SMTP server that sends the reports on (the site's outbound relay).</summary>
    public string Relay { get; init; } = string.Empty;

    /// <summary>The reports' sender, and the email in their metadata.</summary>
    public string From { get; init; } = string.Empty;

    /// <summary>Who reports (report_metadata org_name); the hostname when empty.</summary>
    public string OrgName { get; init; } = string.Empty;

    /// <summary>extra_contact_info: a URL or an address where the domain's owner can ask about the reports.</summary>
    public string? Contact { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromDays(1);

    public System.Net.IPEndPoint? RelayEndPoint => ListenAddress.TryParse(Relay, 25, out var endPoint) ? endPoint : null;

    internal void Validate(ConfigErrors errors)
    {
        if (!Enabled)
        {
            return;
        }

        errors.Require(RelayEndPoint is not null, "dmarc_reports.relay", Relay.Length == 0 ? "must name the SMTP relay the reports go out through (IP:port)" : $"'{Relay}' is not an IP address with optional port");
        errors.Require(From.Contains('@', StringComparison.Ordinal), "dmarc_reports.from", "must be the reports' sender address");
        errors.Require(Interval >= TimeSpan.FromHours(1) && Interval <= TimeSpan.FromDays(1) && TimeSpan.FromDays(1).Ticks % Interval.Ticks == 0, "dmarc_reports.interval", "must divide a day, from 1h to 24h (RFC 7489 7.2: reports at least daily)");
    }
}
