namespace Gateway.Core.Authentication.Dmarc;

/// <summary>
/// The DMARC verdict for a message: the result, the policy the domain asked for (after t=y testing is
/// taken into account), and how alignment went, for headers, rules and logs; the record itself (its published policy
/// and rua=) for aggregate reports.
/// </summary>
public sealed record DmarcOutcome(
    AuthResult Result,
    string? FromDomain,
    DmarcPolicy RequestedPolicy = DmarcPolicy.None,
    bool Testing = false,
    string? PolicyDomain = null,
    bool SpfAligned = false,
    bool DkimAligned = false,
    string? Reason = null,
    bool TooManyAuthorDomains = false,
    DmarcRecord? Record = null)
{
    /// <summary>The policy to carry out on a failure: t=y (and pct=0) step it down one level, as DMARCbis asks.</summary>
    public DmarcPolicy EffectivePolicy => Result != AuthResult.Fail ? DmarcPolicy.None
        : !Testing ? RequestedPolicy
        : RequestedPolicy == DmarcPolicy.Reject ? DmarcPolicy.Quarantine
        : DmarcPolicy.None;
}
