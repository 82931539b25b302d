namespace Gateway.Core.Authentication.Arc;

/// <summary>
/// The ARC chain (RFC 8617): its validity, who sealed it last, and whether that sealer's
/// ARC-Authentication-Results recorded a DMARC pass (what a trusted forwarder vouches for).
/// </summary>
public sealed record ArcOutcome(AuthResult Result, int Instances = 0, string? LastSealer = null, bool SealedDmarcPass = false, string? Reason = null);
