namespace Gateway.Core.Configuration;

public enum DownstreamTls
{
    /// <summary>Plain SMTP: for a downstream on loopback or a trusted segment.</summary>
    None,

    /// <summary>STARTTLS when the downstream offers it, without certificate verification.</summary>
    Opportunistic,

    /// <summary>STARTTLS is mandatory and the certificate must verify for the host name.</summary>
    Required,
}
