namespace Gateway.Core.Authentication.Dkim;

/// <summary>The verdict on one DKIM-Signature (RFC 6376 / RFC 8463), with the tags DMARC and headers need.</summary>
public sealed record DkimSignatureResult(
    AuthResult Result,
    string Domain,
    string Selector,
    string Algorithm,
    string? Reason = null,
    bool BodyLengthLimited = false,
    string? HeaderB = null);
