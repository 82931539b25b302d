namespace Gateway.Core.Configuration;

/// <summary>What sender-authentication results may do to a message.</summary>
public sealed record AuthenticationOptions
{
    public DmarcOptions Dmarc { get; init; } = new();

    public ArcOptions Arc { get; init; } = new();

    internal void Validate(ConfigErrors errors)
    {
        for (var i = 0; i < Dmarc.IgnorePolicyDomains.Count; i++)
        {
            errors.Require(Uri.CheckHostName(Dmarc.IgnorePolicyDomains[i]) == UriHostNameType.Dns, $"authentication.dmarc.ignore_policy_domains.{i}", "is not a domain name");
        }

        for (var i = 0; i < Arc.TrustedSealers.Count; i++)
        {
            errors.Require(Uri.CheckHostName(Arc.TrustedSealers[i]) == UriHostNameType.Dns, $"authentication.arc.trusted_sealers.{i}", "is not a domain name");
        }
    }
}

public sealed record DmarcOptions
{
    /// <summary>Carry out DMARC policies: p=reject is refused with 550 5.7.1, p=quarantine is tagged.</summary>
    public bool Enforce { get; init; } = true;

    /// <summary>Author domains whose policy we score but never carry out (a local override, e.g. a partner with a broken setup).</summary>
    public List<string> IgnorePolicyDomains { get; init; } = [];

    public bool IsIgnored(string? domain) =>
        domain is not null && IgnorePolicyDomains.Any(ignored => string.Equals(ignored.TrimEnd('.'), domain, StringComparison.OrdinalIgnoreCase));
}

public sealed record ArcOptions
{
    /// <summary>
    /// Forwarders and mailing lists (ARC-Seal d=) whose word we take: when the chain passes and their sealed
    /// results say dmarc=pass, a DMARC failure here (broken by the forwarding) is not enforced.
    /// </summary>
    public List<string> TrustedSealers { get; init; } = [];

    public bool IsTrusted(string? sealer) =>
        sealer is not null && TrustedSealers.Any(trusted => string.Equals(trusted.TrimEnd('.'), sealer, StringComparison.OrdinalIgnoreCase));
}
